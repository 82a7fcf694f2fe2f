"""An event's head counts, in one statement for any number of events: registered (not cancelled, walk-ins
excluded), waitlisted, cancelled, attended (walk-ins included), walk-ins, no-shows (registered, not attended,
once the event has begun: before it nobody is a no-show yet), the no-show rate (none before the event), survey
responses and NPS. The API's event object, the list and the report read these."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass
class Counts:
    registered: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    attended: int = 0
    walk_ins: int = 0
    no_shows: int = 0
    survey_sent: int = 0
    survey_responses: int = 0
    promoters: int = 0
    detractors: int = 0
    begun: bool = False

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.registered if self.registered and self.begun else None

    @property
    def response_rate(self) -> float | None:
        return self.survey_responses / self.survey_sent if self.survey_sent else None

    @property
    def nps(self) -> int | None:
        """Promoters (9-10) minus detractors (0-6), in percent of answers, rounded as the dashboard's NPS."""
        if not self.survey_responses:
            return None
        return round(100.0 * (self.promoters - self.detractors) / self.survey_responses)

    def as_dict(self) -> dict:
        figures = {k: v for k, v in asdict(self).items() if k != "begun"}
        return {**figures, "no_show_rate": self.no_show_rate, "response_rate": self.response_rate, "nps": self.nps}


_COUNTS = """
    SELECT r.event_id,
           count(*) FILTER (WHERE r.status = 'registered' AND NOT r.walk_in),
           count(*) FILTER (WHERE r.status = 'waitlisted'),
           count(*) FILTER (WHERE r.status = 'cancelled'),
           count(*) FILTER (WHERE r.checked_in_at IS NOT NULL),
           count(*) FILTER (WHERE r.walk_in AND r.checked_in_at IS NOT NULL),
           count(*) FILTER (WHERE r.status = 'registered' AND NOT r.walk_in AND r.checked_in_at IS NULL
                            AND e.starts_at <= now()),
           count(*) FILTER (WHERE r.survey_sent_at IS NOT NULL),
           count(*) FILTER (WHERE r.survey_score IS NOT NULL),
           count(*) FILTER (WHERE r.survey_score >= 9),
           count(*) FILTER (WHERE r.survey_score <= 6),
           bool_and(e.starts_at <= now())
    FROM registration r JOIN event e ON e.id = r.event_id
    WHERE r.event_id = ANY(CAST(:ids AS bigint[])) GROUP BY r.event_id"""


def of_events(session: Session, event_ids: list[int]) -> dict[int, Counts]:
    """Counts per event id (an event without registrations has zeros)."""
    out = {i: Counts() for i in event_ids}
    if event_ids:
        for row in session.execute(text(_COUNTS), {"ids": sorted(set(event_ids))}):
            out[row[0]] = Counts(*row[1:])
    return out


def of_event(session: Session, event_id: int) -> Counts:
    return of_events(session, [event_id])[event_id]
