"""Events of an organisation: create and edit (one check for the form, the API and imports), series, hosts and
speakers, the list (upcoming, past) and a month's calendar. Services flush; the caller commits."""
from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tenants.community.members import live_members, search_ids
from tenants.community.models import Member
from tenants.core import audit
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.errors import DomainError
from tenants.core.sql import storable
from tenants.events.models import EVENT_FORMATS, EVENT_ROLES, FORM_FIELDS, Event, EventRole, EventSeries

EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2199, 12, 31, tzinfo=UTC)
MAX_LENGTH = timedelta(days=31)         # an event lasts at most a month
MAX_CAPACITY = 1_000_000
MAX_TAGS, MAX_TAG = 20, 64
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
ZONES = frozenset(available_timezones())


class EventError(DomainError):
    """A refusal naming the bad field: `field` is the input's name (the form shows it beside the input)."""

    def __init__(self, where: str, template: str, **params) -> None:
        super().__init__(template, **params)
        self.field = where


def _text(data: dict, name: str, most: int, required: bool = False) -> str:
    value = data.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise EventError(name, "%(field)s must be a text.", field=name)
    value = value.strip()
    if required and not value:
        raise EventError(name, "%(field)s is required.", field=name)
    if len(value) > most:
        raise EventError(name, "%(field)s is at most %(n)s characters.", field=name, n=most)
    if not storable(value):
        raise EventError(name, "%(field)s must not contain NUL characters or lone surrogates.", field=name)
    return value


def zone(value) -> ZoneInfo:
    if not isinstance(value, str) or value not in ZONES:
        raise EventError("timezone", "timezone must be a time zone name such as Europe/Moscow.")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise EventError("timezone", "timezone must be a time zone name such as Europe/Moscow.") from None


def moment(value, name: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 date-time (or a datetime) in UTC; one without an offset is a local time in `tz`."""
    if not isinstance(value, datetime):
        if not isinstance(value, str) or len(value) > 64:
            raise EventError(name, "%(field)s must be a date and time (ISO 8601).", field=name)
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise EventError(name, "%(field)s must be a date and time (ISO 8601).", field=name) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    value = value.astimezone(UTC)
    if not EARLIEST <= value <= LATEST:
        raise EventError(name, "%(field)s must be between 2000 and 2199.", field=name)
    return value


def _capacity(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CAPACITY:
        raise EventError("capacity", "capacity must be a whole number from 1 to %(n)s, or empty for no limit.",
                         n=MAX_CAPACITY)
    return value


def tags_of(value) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else None
    if items is None or any(not isinstance(t, str) for t in items):
        raise EventError("tags", "tags must be a list of texts.")
    out: list[str] = []
    for item in items:
        tag = " ".join(item.split())
        if len(tag) > MAX_TAG or not storable(tag):
            raise EventError("tags", "A tag is at most %(n)s characters.", n=MAX_TAG)
        if tag and tag.lower() not in (t.lower() for t in out):
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise EventError("tags", "At most %(n)s tags.", n=MAX_TAGS)
    return out


def _values(session: Session, org_id: int, data: dict, event: Event | None) -> dict:
    """The checked fields of `data` (only those given, when editing)."""
    out: dict = {}
    new = event is None
    if new or "title" in data:
        out["title"] = _text(data, "title", 200, required=True)
    if "description" in data:
        out["description"] = _text(data, "description", 10_000)
    if new or "format" in data:
        fmt = data.get("format") or "offline"
        if fmt not in EVENT_FORMATS:
            raise EventError("format", "format must be one of: %(formats)s.", formats=", ".join(EVENT_FORMATS))
        out["format"] = fmt
    tz_name = data.get("timezone") if (new or "timezone" in data) else event.timezone
    tz = zone(tz_name or "UTC")
    out["timezone"] = tz.key
    for name in ("starts_at", "ends_at"):
        if new or name in data:
            if data.get(name) in (None, ""):
                raise EventError(name, "%(field)s is required.", field=name)
            out[name] = moment(data[name], name, tz)
    starts, ends = out.get("starts_at", event and event.starts_at), out.get("ends_at", event and event.ends_at)
    if ends < starts:
        raise EventError("ends_at", "The event cannot end before it starts.")
    if ends - starts > MAX_LENGTH:
        raise EventError("ends_at", "An event lasts at most 31 days.")
    if "location" in data:
        out["location"] = _text(data, "location", 300)
    if "url" in data:
        url = _text(data, "url", 500)
        if url and not URL.match(url):
            raise EventError("url", "The link must start with http:// or https://.")
        out["url"] = url
    if "capacity" in data:
        out["capacity"] = _capacity(data["capacity"])
    for flag in ("promote_waitlist", "registration_open"):
        if flag in data:
            if not isinstance(data[flag], bool):
                raise EventError(flag, "%(field)s must be true or false.", field=flag)
            out[flag] = data[flag]
    if "tags" in data:
        out["tags"] = tags_of(data["tags"])
    if "form_fields" in data:
        fields = data["form_fields"]
        if not isinstance(fields, list) or any(f not in FORM_FIELDS for f in fields):
            raise EventError("form_fields", "form_fields must be a list of: %(fields)s.", fields=", ".join(FORM_FIELDS))
        out["form_fields"] = [f for f in FORM_FIELDS if f in fields]
    if "series" in data:
        name = _text(data, "series", 120)
        out["series_id"] = series_id(session, org_id, name) if name else None
    return out


def series_id(session: Session, org_id: int, name: str) -> int:
    found = session.scalar(select(EventSeries.id).where(EventSeries.org_id == org_id, EventSeries.name == name))
    if found is not None:
        return found
    series = EventSeries(org_id=org_id, name=name)
    session.add(series)
    session.flush()
    return series.id


def create(session: Session, org_id: int, data: dict, actor: Actor) -> tuple[Event, bool]:
    """A new event, or the one created before with the same `source_id` (then created is False)."""
    source_id = _text(data, "source_id", 200) or None
    if source_id:
        found = session.scalar(select(Event).where(Event.org_id == org_id, Event.source_id == source_id))
        if found is not None:
            return found, False
    values = _values(session, org_id, data, None)
    event = Event(org_id=org_id, source_id=source_id, form_token=secrets.token_urlsafe(24),
                  created_by_id=actor.user_id, **{"description": "", "location": "", "url": "", "tags": [],
                                                  "form_fields": [], **values})
    session.add(event)
    session.flush()
    audit.record(session, "event_created", actor, target=event.title, event=event.public_id)
    return event, True


def update(session: Session, event: Event, data: dict, actor: Actor) -> Event:
    for key, value in _values(session, event.org_id, data, event).items():
        setattr(event, key, value)
    event.updated_at = utcnow()
    session.flush()
    audit.record(session, "event_changed", actor, target=event.title, event=event.public_id)
    return event


def delete_event(session: Session, event: Event, actor: Actor) -> None:
    """Delete an event with its registrations (their activities stay: they happened)."""
    audit.record(session, "event_deleted", actor, target=event.title, event=event.public_id)
    session.delete(event)
    session.flush()


def new_form_token(session: Session, event: Event) -> str:
    """A new public registration link: the old one stops working."""
    event.form_token = secrets.token_urlsafe(24)
    session.flush()
    return event.form_token


def by_public_id(session: Session, org_id: int, public: str) -> Event | None:
    return session.scalar(select(Event).where(Event.org_id == org_id, Event.public_id == public))


def upcoming(session: Session, org_id: int, now: datetime | None = None, limit: int = 200) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.org_id == org_id, Event.ends_at >= (now or utcnow()))
                                .order_by(Event.starts_at, Event.id).limit(limit)))


def past(session: Session, org_id: int, now: datetime | None = None, limit: int = 200) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.org_id == org_id, Event.ends_at < (now or utcnow()))
                                .order_by(Event.starts_at.desc(), Event.id.desc()).limit(limit)))


def in_month(session: Session, org_id: int, month: date) -> list[Event]:
    """Events that overlap the calendar month (UTC days, a day's margin either side for time zones)."""
    first = datetime(month.year, month.month, 1, tzinfo=UTC)
    after = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=UTC)
    return list(session.scalars(select(Event).where(Event.org_id == org_id,
                                                    Event.starts_at < after + timedelta(days=1),
                                                    Event.ends_at >= first - timedelta(days=1))
                                .order_by(Event.starts_at, Event.id)))


def roles(session: Session, event: Event) -> dict[str, list[Member]]:
    rows = session.execute(select(EventRole.role, Member).join(Member, Member.id == EventRole.member_id)
                           .where(EventRole.event_id == event.id).order_by(Member.sort_name))
    out: dict[str, list[Member]] = {r: [] for r in EVENT_ROLES}
    for role, member in rows:
        out[role].append(member)
    return out


def set_roles(session: Session, event: Event, role: str, member_ids: list[int]) -> None:
    """Who hosts (or speaks at) the event: members of its organisation, neither merged away nor erased."""
    if role not in EVENT_ROLES:
        raise EventError("role", "Unknown role.")
    live = set(session.scalars(select(Member.id).where(Member.org_id == event.org_id, Member.id.in_(member_ids),
                                                        Member.merged_into_id.is_(None), Member.erased_at.is_(None))))
    if len(live) != len(set(member_ids)):
        raise EventError(role, "Choose members of this organisation.")
    session.execute(delete(EventRole).where(EventRole.event_id == event.id, EventRole.role == role))
    session.add_all([EventRole(org_id=event.org_id, event_id=event.id, member_id=m, role=role) for m in sorted(live)])
    session.flush()


def member_ids(session: Session, org_id: int, public_ids: list[str]) -> list[int]:
    """The ids of the organisation's live members by public id (hosts and speakers picked on the form)."""
    wanted = [p for p in dict.fromkeys(public_ids) if isinstance(p, str) and p]
    if not wanted:
        return []
    found = list(session.scalars(select(Member.id).where(Member.org_id == org_id, Member.public_id.in_(wanted),
                                                         Member.merged_into_id.is_(None),
                                                         Member.erased_at.is_(None))))
    if len(found) != len(wanted):
        raise EventError("roles", "Choose members of this organisation.")
    return found


def zones() -> list[str]:
    """Every IANA time zone name the form offers, sorted (the region before the slash groups them)."""
    return sorted(z for z in ZONES if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/"))) + ["UTC"]


def last_zone(session: Session, org_id: int) -> str | None:
    """The time zone of the organisation's latest event: a new event's likely one."""
    return session.scalar(select(Event.timezone).where(Event.org_id == org_id)
                          .order_by(Event.created_at.desc(), Event.id.desc()).limit(1))


def series_names(session: Session, org_id: int) -> list[str]:
    return list(session.scalars(select(EventSeries.name).where(EventSeries.org_id == org_id)
                                .order_by(EventSeries.name)))


def series_name(session: Session, event: Event) -> str:
    if event.series_id is None:
        return ""
    return session.scalar(select(EventSeries.name).where(EventSeries.id == event.series_id)) or ""


def members_matching(session: Session, org_id: int, q: str, limit: int = 8) -> list[Member]:
    """Live members whose name, email, phone or handle contains `q` (the form's host and speaker picker)."""
    if not q or not q.strip() or not storable(q):
        return []
    return list(session.scalars(live_members().where(Member.org_id == org_id, Member.id.in_(search_ids(q)))
                                .order_by(Member.sort_name, Member.id).limit(limit)))
