"""One event's report: head counts (counts.py), first-timers against returning attendees, who came back within
90 days, the survey, and the attendees' stages before the event. Each figure is one set-based statement.

- A first-timer had attended no earlier event of the organisation (an event that started before this one).
- Returned within 90 days: in the 90 days after the event ended the attendee came to another event, or did
  anything else in the community (this event's own activities, e.g. its survey answer, left out). Until the
  90 days have passed the figure is not known yet: the report says how many days remain and what it is so far.
- Stage before the event: the attendee's stage at the start of the event's UTC day (standing.py: the stage
  history where it reaches back, else reconstructed by the stage rules); "new" for members first seen since.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.core.base import utcnow
from tenants.core.days import day_number
from tenants.events import counts, standing
from tenants.events.models import Event
from tenants.scoring import STAGES

RETURN_DAYS = 90


@dataclass
class Returned:
    known: bool                 # the 90 days have passed
    days_left: int              # until they have (0 once known)
    returned: int = 0           # so far, when not known yet
    to_event: int = 0           # came to another event
    active: int = 0             # did anything in the community (another event's activities included)
    of: int = 0                 # attendees

    @property
    def rate(self) -> float | None:
        return self.returned / self.of if self.of else None


@dataclass
class Report:
    event: Event
    counts: counts.Counts
    first_timers: int = 0
    returning: int = 0
    returned: Returned | None = None
    stages: dict[str, int] = field(default_factory=dict)     # STAGES plus "new" (first seen on or after the day)
    ended: bool = False


def of_event(session: Session, event: Event, now: datetime | None = None) -> Report:
    now = now or utcnow()
    report = Report(event, counts.of_event(session, event.id), ended=event.ends_at <= now)
    report.first_timers, report.returning = first_timers(session, event)
    report.returned = returned(session, event, now)
    report.stages = stages_before(session, event)
    return report


def first_timers(session: Session, event: Event) -> tuple[int, int]:
    """(first-timers, returning) among the event's attendees."""
    row = session.execute(text("""
        SELECT count(*) FILTER (WHERE NOT x.before), count(*) FILTER (WHERE x.before)
        FROM (SELECT EXISTS (SELECT 1 FROM registration r2 JOIN event e2 ON e2.id = r2.event_id
                             WHERE r2.member_id = r.member_id AND r2.checked_in_at IS NOT NULL
                               AND e2.org_id = :org AND e2.id <> :event AND e2.starts_at < :starts) AS before
              FROM registration r WHERE r.event_id = :event AND r.checked_in_at IS NOT NULL) x"""),
        {"org": event.org_id, "event": event.id, "starts": event.starts_at}).one()
    return int(row[0]), int(row[1])


def returned(session: Session, event: Event, now: datetime) -> Returned:
    """Attendees who came back within RETURN_DAYS of the event's end (so far, while the days run)."""
    until = event.ends_at + timedelta(days=RETURN_DAYS)
    known = now >= until
    days_left = 0 if known else math.ceil((until - now).total_seconds() / 86400)
    row = session.execute(text("""
        SELECT count(*) FILTER (WHERE x.ev OR x.act), count(*) FILTER (WHERE x.ev), count(*) FILTER (WHERE x.act),
               count(*)
        FROM (SELECT EXISTS (SELECT 1 FROM registration r2 JOIN event e2 ON e2.id = r2.event_id
                             WHERE r2.member_id = r.member_id AND r2.checked_in_at IS NOT NULL AND e2.org_id = :org
                               AND e2.id <> :event AND e2.starts_at > :ends AND e2.starts_at <= :until) AS ev,
                     EXISTS (SELECT 1 FROM activity a
                             WHERE a.member_id = r.member_id AND a.org_id = :org
                               AND a.occurred_at > :ends AND a.occurred_at <= :until
                               AND a.source_id NOT LIKE :own AND coalesce(a.meta ->> 'event', '') <> :pid) AS act
              FROM registration r WHERE r.event_id = :event AND r.checked_in_at IS NOT NULL) x"""),
        {"org": event.org_id, "event": event.id, "ends": event.ends_at, "until": min(until, now),
         "own": f"event:{event.public_id}:%", "pid": event.public_id}).one()
    return Returned(known, days_left, int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def stages_before(session: Session, event: Event) -> dict[str, int]:
    """Attendees by their stage at the start of the event's day; "new": first seen on that day or later."""
    standing.compute(session, event.org_id, "SELECT member_id, :day AS day FROM registration "
                     "WHERE event_id = :event AND checked_in_at IS NOT NULL",
                     {"day": day_number(event.starts_at), "event": event.id})
    out = dict.fromkeys((*STAGES, "new"), 0)
    for rank, n in session.execute(text("SELECT rank, count(*) FROM ev_standing GROUP BY rank")):
        out[STAGES[rank] if rank is not None else "new"] += int(n)
    return out
