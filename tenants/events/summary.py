"""The organisation's events over a period (the dashboard's events panel): events held, attendance rate,
repeat-attendance rate and NPS by event.

- Events held: events that started in the period and have ended.
- Attendance rate: registrants who came / registrants (registered, walk-ins left out) over those events, i.e.
  one minus the pooled no-show rate. Walk-ins are counted apart.
- Repeat-attendance rate: of the members who attended at least one of those events, the share who attended
  two or more.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tenants.core.base import utcnow
from tenants.events import counts
from tenants.events.models import Event

DAYS = 365
SHOWN = 12          # events in the NPS-by-event chart (the latest)


@dataclass
class Summary:
    days: int
    held: int = 0
    registered: int = 0
    came: int = 0                   # registrants who came
    walk_ins: int = 0
    attendees: int = 0              # distinct members who attended
    repeat: int = 0                 # ...two events or more
    events: list[tuple[Event, counts.Counts]] = field(default_factory=list)     # the latest SHOWN, oldest first

    @property
    def attendance_rate(self) -> float | None:
        return self.came / self.registered if self.registered else None

    @property
    def repeat_rate(self) -> float | None:
        return self.repeat / self.attendees if self.attendees else None


def of_org(session: Session, org_id: int, now: datetime | None = None, days: int = DAYS) -> Summary:
    now = now or utcnow()
    since = now - timedelta(days=days)
    held = list(session.scalars(select(Event).where(Event.org_id == org_id, Event.starts_at >= since,
                                                    Event.ends_at <= now).order_by(Event.starts_at)))
    out = Summary(days, len(held))
    if not held:
        return out
    per = counts.of_events(session, [e.id for e in held])
    for c in per.values():
        out.registered += c.registered
        out.came += c.attended - c.walk_ins
        out.walk_ins += c.walk_ins
    out.attendees, out.repeat = session.execute(text("""
        SELECT count(*), count(*) FILTER (WHERE n >= 2)
        FROM (SELECT member_id, count(*) AS n FROM registration
              WHERE event_id = ANY(CAST(:ids AS bigint[])) AND checked_in_at IS NOT NULL GROUP BY member_id) x"""),
        {"ids": [e.id for e in held]}).one()
    out.events = [(e, per[e.id]) for e in held[-SHOWN:]]
    return out


def titles(session: Session, org_id: int, limit: int = 500) -> dict[str, str]:
    """The organisation's events as {public id: "title (date)"}, newest first: what rules naming events show."""
    rows = session.execute(select(Event.public_id, Event.title, Event.starts_at).where(Event.org_id == org_id)
                           .order_by(Event.starts_at.desc()).limit(limit))
    return {pid: f"{title} ({starts:%Y-%m-%d})" for pid, title, starts in rows}
