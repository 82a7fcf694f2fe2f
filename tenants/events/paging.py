"""An organisation's events a page at a time (the API's list): upcoming soonest first, past latest first, or all
latest first, with a cursor that names the last event of the page (its start and id)."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from tenants.core.base import utcnow
from tenants.events.events import EARLIEST, LATEST
from tenants.events.models import Event

WHEN = ("upcoming", "past")
BIGINT = 2**63 - 1


@dataclass
class Page:
    events: list[Event]
    next_cursor: str | None


def encode(event: Event) -> str:
    raw = json.dumps([event.starts_at.astimezone(UTC).isoformat(), event.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int] | None:
    """The (start, id) a cursor names, or None when no page could have made it (it comes from a query string)."""
    try:
        start, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        start = datetime.fromisoformat(start)
    except (ValueError, TypeError, OverflowError):
        return None
    if start.tzinfo is None or not EARLIEST <= start <= LATEST or type(last_id) is not int \
            or not 0 < last_id <= BIGINT:
        return None
    return start, last_id


def page(session: Session, org_id: int, when: str | None, limit: int, after: tuple[datetime, int] | None) -> Page:
    stmt = select(Event).where(Event.org_id == org_id)
    now = utcnow()
    ascending = when == "upcoming"
    if when == "upcoming":
        stmt = stmt.where(Event.ends_at >= now)
    elif when == "past":
        stmt = stmt.where(Event.ends_at < now)
    if after is not None:
        start, last_id = after
        if ascending:
            stmt = stmt.where(or_(Event.starts_at > start, and_(Event.starts_at == start, Event.id > last_id)))
        else:
            stmt = stmt.where(or_(Event.starts_at < start, and_(Event.starts_at == start, Event.id < last_id)))
    order = (Event.starts_at, Event.id) if ascending else (Event.starts_at.desc(), Event.id.desc())
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode(rows[-1]) if more else None)
