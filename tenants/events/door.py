"""The door on the event day: check-in by ticket (the token a QR code carries, or a ticket link ending in
/t/<ticket>), by member, a new person added as a walk-in, undo with an audit entry; the guest search (this
event's registrations first, then the organisation's other members) and the latest arrivals. Services flush;
the caller commits."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from tenants.community import ingest, validate
from tenants.community.members import details, search_ids
from tenants.community.models import Member
from tenants.community.values import ItemError
from tenants.core import audit
from tenants.core.audit import Actor
from tenants.core.sql import storable
from tenants.events import registrations as regs
from tenants.events.events import EventError
from tenants.events.models import Event, Registration

TICKET = re.compile(r"[A-Za-z0-9_-]{8,64}")
TICKET_LINK = re.compile(r"/t/([A-Za-z0-9_-]{8,64})/?(?:[?#].*)?$")
KEY = re.compile(r"[A-Za-z0-9_-]{16,43}")       # a walk-in form's idempotency key (secrets.token_urlsafe)
NAME_MOST = 200


@dataclass
class Arrival:
    """What one check-in attempt did. outcome: checked_in, walk_in, already, unknown or other_event."""
    outcome: str
    registration: Registration | None = None
    member: Member | None = None
    was: str | None = None              # the registration's status before (waitlisted, cancelled…)
    other_event: Event | None = None    # a ticket of another event of this organisation

    @property
    def counted(self) -> bool:
        return self.outcome in ("checked_in", "walk_in")


def ticket_of(raw: str) -> str | None:
    """The ticket a scan or a typed line names: the token itself or a ticket link; None when it is neither."""
    text = (raw or "").strip()
    if len(text) > 2000:
        return None
    found = TICKET_LINK.search(text)
    if found:
        return found.group(1)
    return text if TICKET.fullmatch(text) else None


def _check_in(session: Session, event: Event, member_id: int, actor: Actor) -> Arrival:
    before = session.scalar(select(Registration.status).where(Registration.event_id == event.id,
                                                              Registration.member_id == member_id))
    reg, outcome = regs.check_in(session, event, member_id, actor)
    return Arrival(outcome, reg, session.get(Member, member_id), was=before)


def by_ticket(session: Session, event: Event, raw: str, actor: Actor) -> Arrival:
    ticket = ticket_of(raw)
    reg = regs.by_ticket(session, event, ticket) if ticket else None
    if reg is None:
        other = session.scalar(select(Event).join(Registration, Registration.event_id == Event.id).where(
            Registration.ticket == ticket, Registration.org_id == event.org_id)) if ticket else None
        return Arrival("other_event" if other else "unknown", other_event=other)
    return _check_in(session, event, reg.member_id, actor)


def member_of(session: Session, event: Event, member_public_id: str) -> Member | None:
    """A live member of the event's organisation by public id, or None."""
    if not storable(member_public_id) or len(member_public_id) > 16:
        return None
    return session.scalar(select(Member).where(Member.public_id == member_public_id, Member.org_id == event.org_id,
                                               Member.merged_into_id.is_(None), Member.erased_at.is_(None)))


def by_member(session: Session, event: Event, member: Member, actor: Actor) -> Arrival:
    return _check_in(session, event, member.id, actor)


def new_person(session: Session, event: Event, name: str, email: str, key: str, actor: Actor) -> Arrival:
    """Someone at the door who may not be a member yet: found or created by email (an email identity) or, with
    no email, by the form's key (an offline identity), then checked in. The same form sent twice is one person."""
    name = (name or "").strip()
    if not name:
        raise EventError("name", "Type the person's name.")
    if len(name) > NAME_MOST or not storable(name):
        raise EventError("name", "The name is too long (at most %(most)s characters).", most=NAME_MOST)
    try:
        address = validate.normalise_email((email or "").strip() or None)
    except ItemError:
        raise EventError("email", "This is not an email address.") from None
    if address:
        ref = validate.identity("email", address, display_name=name, email=address)
    else:
        key = key if KEY.fullmatch(key or "") else secrets.token_urlsafe(16)
        ref = validate.identity("offline", f"walk-in:{key}", display_name=name)
    found, _new = ingest.resolve_members(session, event.org_id, [ref], serialise=True)
    return _check_in(session, event, found[ref.key], actor)


def registration_of(session: Session, event: Event, registration_public_id: str) -> Registration | None:
    if not storable(registration_public_id) or len(registration_public_id) > 16:
        return None
    return session.scalar(select(Registration).where(Registration.public_id == registration_public_id,
                                                     Registration.event_id == event.id))


def undo(session: Session, event: Event, reg: Registration, actor: Actor) -> Member | None:
    """Take a check-in back (its attendance activity goes) and say so in the audit log; None when the
    registration was not checked in."""
    if reg.checked_in_at is None:
        return None
    regs.undo_check_in(session, reg, event, actor)
    member = session.get(Member, reg.member_id)
    audit.record(session, "event_checkin_undone", actor, target=f"{event.title}: {member.display_name}"[:200],
                 event=event.public_id, registration=reg.public_id)
    return member


@dataclass
class Guest:
    member: Member
    registration: Registration | None
    handle: str | None = None


def search(session: Session, event: Event, q: str, limit: int = 20) -> list[Guest]:
    """Members whose name, email, phone or handle contains q: this event's registrants (not cancelled) first,
    then the organisation's other members (the walk-ins), each by name."""
    q = (q or "").strip().lstrip("@")
    if len(q) < 2 or len(q) > 200 or not storable(q):
        return []
    found = search_ids(q).subquery()
    ours = and_(Registration.id.is_not(None), Registration.status != "cancelled")
    rows = session.execute(
        select(Member, Registration).join(found, found.c.member_id == Member.id)
        .outerjoin(Registration, and_(Registration.member_id == Member.id, Registration.event_id == event.id))
        .where(Member.org_id == event.org_id, Member.merged_into_id.is_(None), Member.erased_at.is_(None),
               Member.is_bot.is_(False))
        .order_by(case((ours, 0), else_=1), Member.sort_name, Member.id).limit(limit)).all()
    return _guests(session, rows)


def guest_list(session: Session, event: Event, limit: int = 30) -> tuple[list[Guest], int]:
    """Before anyone types: the registrants still expected (by name), and how many registrations there are."""
    expected = and_(Registration.event_id == event.id, Registration.status != "cancelled",
                    Registration.checked_in_at.is_(None))
    rows = session.execute(select(Member, Registration).join(Registration, Registration.member_id == Member.id)
                           .where(expected).order_by(Member.sort_name, Member.id).limit(limit)).all()
    total = session.scalar(select(func.count()).select_from(Registration).where(expected)) or 0
    return _guests(session, rows), total


def arrivals(session: Session, event: Event, limit: int = 20) -> list[Guest]:
    """The latest check-ins, newest first."""
    rows = session.execute(select(Member, Registration).join(Registration, Registration.member_id == Member.id)
                           .where(Registration.event_id == event.id, Registration.checked_in_at.is_not(None))
                           .order_by(Registration.checked_in_at.desc(), Registration.id.desc()).limit(limit)).all()
    return _guests(session, rows)


def _guests(session: Session, rows) -> list[Guest]:
    identities, _tags = details(session, [m.id for m, _r in rows])
    out = []
    for m, reg in rows:
        handle = next((i.handle for i in identities.get(m.id, []) if i.handle), None)
        out.append(Guest(m, reg, handle))
    return out
