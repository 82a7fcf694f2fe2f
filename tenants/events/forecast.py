"""Turnout forecast for an event: the sum over its registrants of each one's own show rate, in one statement.

A registrant's show rate is (came + PRIOR · org rate) / (registered + PRIOR) over the organisation's events that
ended before this one started (registrations not cancelled nor waitlisted, walk-ins left out): their own record,
pulled toward the organisation's rate while it is short; a first-timer (no such registration) gets the
organisation's rate. The organisation's rate is came / registered over the same events. The expected turnout is
the sum of the rates; the range is ±1.96 standard deviations of a sum of independent yes/no chances
(variance Σ p(1 − p)), held within 0 and the registrants. Without any past registration there is no forecast.
After the event the forecast (still from the events before it) stands beside what happened: registrants who
came, and walk-ins apart (no registrant forecast counts them).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.core.base import utcnow
from tenants.events.models import Event

PRIOR = 2.0      # how many registrations' worth the organisation's rate weighs in a member's own rate


@dataclass
class Forecast:
    registrants: int = 0
    first_timers: int = 0            # registrants without a past registration
    past_events: int = 0
    org_rate: float | None = None
    expected: float | None = None
    low: float | None = None
    high: float | None = None
    ended: bool = False
    came: int | None = None          # after the event: registrants who came
    walk_ins: int | None = None

    @property
    def error(self) -> float | None:
        """Forecast minus what happened (registrants), after the event."""
        return self.expected - self.came if self.expected is not None and self.came is not None else None


_FORECAST = """
    WITH past AS (SELECT id FROM event WHERE org_id = :org AND id <> :event AND ends_at <= :starts),
    hist AS (
        SELECT r.member_id, count(*) AS n, count(r.checked_in_at) AS came
        FROM registration r JOIN past ON past.id = r.event_id
        WHERE r.status = 'registered' AND NOT r.walk_in GROUP BY r.member_id),
    org AS (SELECT CAST(sum(came) AS double precision) / nullif(sum(n), 0) AS rate FROM hist),
    regs AS (SELECT member_id, checked_in_at FROM registration
             WHERE event_id = :event AND status = 'registered' AND NOT walk_in),
    p AS (
        SELECT (coalesce(h.came, 0) + :prior * org.rate) / (coalesce(h.n, 0) + :prior) AS p,
               h.member_id IS NULL AS first, g.checked_in_at IS NOT NULL AS came
        FROM regs g LEFT JOIN hist h ON h.member_id = g.member_id CROSS JOIN org)
    SELECT count(*), count(*) FILTER (WHERE first), sum(p), sum(p * (1 - p)), count(*) FILTER (WHERE came),
           (SELECT rate FROM org), (SELECT count(*) FROM past),
           (SELECT count(*) FROM registration WHERE event_id = :event AND walk_in AND checked_in_at IS NOT NULL)
    FROM p"""


def of_event(session: Session, event: Event, now: datetime | None = None) -> Forecast:
    now = now or utcnow()
    row = session.execute(text(_FORECAST), {"org": event.org_id, "event": event.id, "starts": event.starts_at,
                                            "prior": PRIOR}).one()
    out = Forecast(int(row[0]), int(row[1]), int(row[6]), row[5], ended=event.ends_at <= now)
    if out.org_rate is not None:
        out.expected = float(row[2] or 0.0)
        spread = 1.96 * math.sqrt(float(row[3] or 0.0))
        out.low, out.high = max(0.0, out.expected - spread), min(float(out.registrants), out.expected + spread)
    if out.ended:
        out.came, out.walk_ins = int(row[4]), int(row[7])
    return out
