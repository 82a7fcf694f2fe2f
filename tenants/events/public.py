"""What the public, no-login pages need: finding an event, a registration or a survey by the secret in its link
(a system look-up: the tenant is what it tells), registering someone by name and email, and the event's
calendar file. Nothing here answers about another event or organisation than the one the secret names."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tenants.agency.models import Organisation
from tenants.community import ingest, validate
from tenants.community.models import Member
from tenants.community.rescore import mark_pending
from tenants.community.values import ItemError, limit
from tenants.community.values import text as checked_text
from tenants.core.base import utcnow
from tenants.core.db import system_scope
from tenants.core.sql import storable
from tenants.events import registrations
from tenants.events.models import FORM_FIELDS, Event, Registration

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ANSWER_MAX = {"phone": 32, "city": 120, "company": 120, "telegram": 64, "comment": 1000}


@dataclass(frozen=True)
class Place:
    """Where a secret leads: the tenant to enter and the row to load in it."""
    agency_id: int
    org_id: int
    event_id: int
    registration_id: int | None = None


def _locate(stmt: Select) -> Place | None:
    with system_scope() as s:
        row = s.execute(stmt.join(Organisation, Organisation.id == Event.org_id)
                        .where(Organisation.archived_at.is_(None))).first()
    return Place(*row) if row else None


def event_place(token: str) -> Place | None:
    if not isinstance(token, str) or not TOKEN.match(token):
        return None
    return _locate(select(Event.agency_id, Event.org_id, Event.id).where(Event.form_token == token))


def _registration_place(column, token: str) -> Place | None:
    if not isinstance(token, str) or not TOKEN.match(token):
        return None
    return _locate(select(Registration.agency_id, Registration.org_id, Registration.event_id, Registration.id)
                   .join(Event, Event.id == Registration.event_id).where(column == token))


def ticket_place(token: str) -> Place | None:
    return _registration_place(Registration.ticket, token)


def survey_place(token: str) -> Place | None:
    return _registration_place(Registration.survey_token, token)


def load(session: Session, place: Place) -> tuple[Event, Organisation, Registration | None]:
    """The rows a place names, read in its tenant (the caller entered it)."""
    event = session.scalar(select(Event).where(Event.id == place.event_id, Event.org_id == place.org_id))
    org = session.get(Organisation, place.org_id)
    reg = None
    if place.registration_id is not None:
        reg = session.scalar(select(Registration).where(Registration.id == place.registration_id,
                                                        Registration.event_id == event.id))
    return event, org, reg


@dataclass(frozen=True)
class Availability:
    capacity: int | None
    taken: int

    @property
    def left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.taken, 0)

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.taken >= self.capacity


def availability(session: Session, event: Event) -> Availability:
    return Availability(event.capacity, registrations.taken(session, event))


def state(event: Event, now: datetime | None = None) -> str:
    """"open", "closed" (the organiser closed the form) or "ended"."""
    if event.ends_at <= (now or utcnow()):
        return "ended"
    return "open" if event.registration_open else "closed"


def answers_of(event: Event, data: dict) -> dict:
    """The optional fields the event asks, checked (an ItemError names the field); empty ones are left out."""
    out = {}
    for name in (f for f in FORM_FIELDS if f in (event.form_fields or [])):
        value = checked_text(data.get(name), name, ANSWER_MAX[name], required=False)
        if value:
            out[name] = value
    return out


@dataclass
class Joined:
    registration: Registration
    member: Member
    created: bool          # a new registration (or a cancelled one taken up again); False: already registered


def join(session: Session, event: Event, name: str, email: str, answers: dict, lang: str) -> Joined:
    """Register someone by name and email: the member with that email identity (or, for a new identity, the
    member with that email) or a new one; then `registrations.register` from the form, with their consent.
    Raises ItemError for a bad name or email."""
    email = validate.normalise_email(email)
    if not email:
        raise ItemError("email is required")
    name = checked_text(name, "name", limit(Member.display_name))
    if not storable(name):
        raise ItemError("name is not valid")
    ref = validate.identity("email", email, display_name=name, email=email)
    members, created = ingest.resolve_members(session, event.org_id, [ref], serialise=True)
    member_id = members[ref.key]
    if created:
        mark_pending(session, event.org_id, {(m, -1) for m in created})
    reg, new = registrations.register(session, event, member_id, "form", answers={**answers, "lang": lang},
                                      consent=True)
    return Joined(reg, session.get(Member, member_id), new)


def calendar(event: Event, org_name: str, ticket_url: str, with_link: bool = True) -> str:
    """The event as an iCalendar file (RFC 5545), for "add to calendar"; the online link only `with_link` (a
    registration with a place)."""
    def esc(value: str) -> str:
        return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n")
                .replace("\n", "\\n"))

    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y%m%dT%H%M%SZ")

    url = event.url if event.format != "offline" and with_link else ""
    where = ", ".join(p for p in (event.location if event.format != "online" else "", url) if p)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Communa//Events//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", "BEGIN:VEVENT", f"UID:{event.public_id}@communa", f"DTSTAMP:{stamp(utcnow())}",
             f"DTSTART:{stamp(event.starts_at)}", f"DTEND:{stamp(event.ends_at)}", f"SUMMARY:{esc(event.title)}",
             f"DESCRIPTION:{esc((event.description + chr(10) + chr(10)).lstrip() + org_name + chr(10) + ticket_url)}"]
    if where:
        lines.append(f"LOCATION:{esc(where)}")
    if url:
        lines.append(f"URL:{url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with a space (RFC 5545 3.1)."""
    out, current = [], ""
    for ch in line:
        if len((current + ch).encode()) > 75:
            out.append(current)
            current = " " + ch
        else:
            current += ch
    return "\r\n".join([*out, current])
