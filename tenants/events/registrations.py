"""Registrations: one per (event, member). Past capacity a registration is waitlisted; a cancellation promotes the
first on the waitlist when the event says so (told by mail by the caller, logged here). Check-in by member or
ticket, walk-ins registered at the door, undo. A registration adds an `event_registration` activity, a
check-in an `event_attendance` one (removed again when the check-in is undone): scoring weighs them by the
organisation's model. Services flush; the caller commits."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tenants.accounts.models import User
from tenants.community import ingest, members, validate
from tenants.community.models import Member
from tenants.core import audit
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.events.events import EventError
from tenants.events.models import REGISTRATION_SOURCES, Event, Registration, RegistrationLog


@dataclass
class Outcome:
    """What a batch of registrations or check-ins did (the API's answer)."""
    accepted: int = 0
    duplicates: int = 0
    walk_ins: int = 0
    promoted: list[Registration] = field(default_factory=list)


def channel_of(event: Event) -> str:
    return "website" if event.format == "online" else "offline"


def source_id(event: Event, what: str, member_id: int) -> str:
    """The activity's source id: one registration and one attendance per event and member, whatever the path."""
    return f"event:{event.public_id}:{what}:{member_id}"


def _activity(event: Event, member_id: int, kind: str, at: datetime, what: str) -> tuple[int, validate.ActivityIn]:
    ref = validate.identity("member", str(member_id))
    return member_id, validate.activity(ref, kind, at, source_id(event, what, member_id), channel=channel_of(event),
                                        meta={"event": event.public_id})


def _log(session: Session, reg: Registration, action: str, actor: Actor | None, at: datetime, note: str = "") -> None:
    session.add(RegistrationLog(org_id=reg.org_id, event_id=reg.event_id, registration_id=reg.id, action=action,
                                at=at, user_id=actor.user_id if actor else None, note=note[:200]))


def _lock(session: Session, event: Event) -> None:
    """One writer of an event's registrations at a time, so capacity is never overrun by concurrent forms."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('event'), CAST(:e AS integer))"),
                    {"e": event.id % 2_147_483_647})


def taken(session: Session, event: Event) -> int:
    """Places taken: registrations neither waitlisted nor cancelled (walk-ins included: they are in the room)."""
    return session.scalar(select(func.count()).where(Registration.event_id == event.id,
                                                     Registration.status == "registered")) or 0


def _live(session: Session, event: Event, member_id: int) -> None:
    ok = session.scalar(select(Member.id).where(Member.id == member_id, Member.org_id == event.org_id,
                                                Member.merged_into_id.is_(None), Member.erased_at.is_(None)))
    if ok is None:
        raise EventError("member", "This member cannot register: not a member of this organisation.")


def register(session: Session, event: Event, member_id: int, source: str, actor: Actor | None = None, *,
             at: datetime | None = None, answers: dict | None = None, consent: bool = False,
             status: str | None = None, source_id_: str | None = None) -> tuple[Registration, bool]:
    """Register a member (or find their registration: created is False). A cancelled registration registers
    again. `status` "waitlisted" puts them on the waitlist even with room; otherwise capacity decides."""
    if source not in REGISTRATION_SOURCES:
        raise EventError("source", "Unknown source.")
    _live(session, event, member_id)
    _lock(session, event)
    now = utcnow()
    at = min(at or now, now)
    reg = session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                    Registration.member_id == member_id))
    if reg is not None and reg.status != "cancelled":
        return reg, False
    full = event.capacity is not None and taken(session, event) >= event.capacity
    new_status = "waitlisted" if (status == "waitlisted" or full) else "registered"
    if reg is None:
        reg = Registration(org_id=event.org_id, event_id=event.id, member_id=member_id, source=source,
                           ticket=secrets.token_urlsafe(18), source_id=source_id_)
        session.add(reg)
    reg.status, reg.registered_at, reg.cancelled_at = new_status, at, None
    reg.answers = answers or reg.answers or {}
    reg.consent_at = now if consent else reg.consent_at
    session.flush()
    _log(session, reg, new_status, actor, now)
    ingest.store_known(session, event.org_id, [_activity(event, member_id, "event_registration", at, "registration")])
    return reg, True


def cancel(session: Session, reg: Registration, event: Event, actor: Actor | None = None) -> Registration | None:
    """Cancel a registration; answers the waitlisted registration promoted into the freed place, if any."""
    if reg.status == "cancelled":
        return None
    if reg.checked_in_at is not None:
        raise EventError("registration", "A checked-in registration cannot be cancelled: undo the check-in first.")
    _lock(session, event)
    freed = reg.status == "registered"
    now = utcnow()
    reg.status, reg.cancelled_at = "cancelled", now
    session.flush()
    _log(session, reg, "cancelled", actor, now)
    return promote(session, event, actor) if freed else None


def promote(session: Session, event: Event, actor: Actor | None = None) -> Registration | None:
    """The first on the waitlist (by registration time) takes a free place, if the event promotes."""
    if not event.promote_waitlist or (event.capacity is not None and taken(session, event) >= event.capacity):
        return None
    first = session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                      Registration.status == "waitlisted")
                           .order_by(Registration.registered_at, Registration.id).limit(1).with_for_update())
    if first is None:
        return None
    first.status = "registered"
    session.flush()
    _log(session, first, "promoted", actor, utcnow())
    return first


def by_ticket(session: Session, event: Event, ticket: str) -> Registration | None:
    if not isinstance(ticket, str) or not 8 <= len(ticket.strip()) <= 64:
        return None
    return session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                     Registration.ticket == ticket.strip()))


def check_in(session: Session, event: Event, member_id: int, actor: Actor | None = None,
             at: datetime | None = None) -> tuple[Registration, str]:
    """Check a member in: answers the registration and "checked_in", "walk_in" (no registration: registered on
    the spot, flagged) or "already" (counted once)."""
    _live(session, event, member_id)
    _lock(session, event)
    now = utcnow()
    at = min(at or now, now)
    reg = session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                    Registration.member_id == member_id))
    if reg is not None and reg.checked_in_at is not None:
        return reg, "already"
    outcome = "checked_in"
    if reg is None or reg.status == "cancelled":
        if reg is None:
            reg = Registration(org_id=event.org_id, event_id=event.id, member_id=member_id, source="walk_in",
                               ticket=secrets.token_urlsafe(18), registered_at=at)
            session.add(reg)
        reg.walk_in, reg.cancelled_at, outcome = True, None, "walk_in"
    reg.status, reg.checked_in_at = "registered", at
    session.flush()
    _log(session, reg, outcome, actor, now)
    ingest.store_known(session, event.org_id, [_activity(event, member_id, "event_attendance", at, "attendance")])
    return reg, outcome


def undo_check_in(session: Session, reg: Registration, event: Event, actor: Actor | None = None) -> None:
    """Take a check-in back: the attendance activity goes (and with it its weight in the score). A walk-in
    stays registered, flagged."""
    if reg.checked_in_at is None:
        return
    reg.checked_in_at = None
    session.flush()
    _log(session, reg, "check_in_undone", actor, utcnow())
    ingest.remove(session, event.org_id, [source_id(event, "attendance", reg.member_id)])


def of_event(session: Session, event: Event, status: str | None = None) -> list[tuple[Registration, Member]]:
    stmt = (select(Registration, Member).join(Member, Member.id == Registration.member_id)
            .where(Registration.event_id == event.id))
    if status:
        stmt = stmt.where(Registration.status == status)
    return list(session.execute(stmt.order_by(Registration.registered_at, Registration.id)).all())


def of_member(session: Session, member_id: int) -> list[tuple[Registration, Event]]:
    return list(session.execute(select(Registration, Event).join(Event, Event.id == Registration.event_id)
                                .where(Registration.member_id == member_id)
                                .order_by(Event.starts_at.desc())).all())


def listing(session: Session, event: Event, status: str | None = None, q: str | None = None,
            limit: int = 500) -> list[tuple[Registration, Member]]:
    """The event page's table: registrations by status and a search of name, email, phone or handle."""
    stmt = (select(Registration, Member).join(Member, Member.id == Registration.member_id)
            .where(Registration.event_id == event.id))
    if status:
        stmt = stmt.where(Registration.status == status)
    if q and q.strip():
        stmt = stmt.where(Registration.member_id.in_(members.search_ids(q)))
    return list(session.execute(stmt.order_by(Registration.registered_at, Registration.id).limit(limit)).all())


def candidates(session: Session, event: Event, q: str, limit: int = 8) -> list[tuple[Member, str | None]]:
    """Members of the event's organisation matching `q` (to register by hand), each with their registration
    status at this event (None: not registered)."""
    if not q or not q.strip():
        return []
    stmt = (members.live_members().add_columns(Registration.status)
            .outerjoin(Registration, (Registration.member_id == Member.id) & (Registration.event_id == event.id))
            .where(Member.org_id == event.org_id, Member.id.in_(members.search_ids(q)))
            .order_by(Member.sort_name, Member.id).limit(limit))
    return [(m, status) for m, status in session.execute(stmt).all()]


@dataclass
class Attendance:
    """A member's events: registrations for events that have begun (not cancelled, not waitlisted) and how
    many of them they came to (walk-ins included in both)."""
    expected: int
    attended: int

    @property
    def rate(self) -> float | None:
        return self.attended / self.expected if self.expected else None


def attendance(rows: list[tuple[Registration, Event]], now: datetime | None = None) -> Attendance:
    """The attendance of one member's registrations (of_member's rows)."""
    now = now or utcnow()
    began = [r for r, e in rows if e.starts_at <= now and (r.status == "registered" or r.checked_in_at)]
    return Attendance(expected=len(began), attended=sum(1 for r in began if r.checked_in_at is not None))


def by_public_id(session: Session, event: Event, public: str) -> Registration | None:
    return session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                     Registration.public_id == public))


def audit_change(session: Session, event: Event, member: Member, change: str, actor: Actor) -> None:
    """A registration staff changed by hand (registered, cancelled) in the agency's audit log."""
    audit.record(session, "event_registration_changed", actor, target=member.display_name, event=event.public_id,
                 change=change)


def log_rows(session: Session, event: Event,
             limit: int = 50) -> list[tuple[RegistrationLog, str, str | None, str]]:
    """The event's log, newest first, with the member's name, the name of the user who acted (None: the public
    pages, the API or a job) and the registration's source."""
    stmt = (select(RegistrationLog, Member.display_name, User.name, Registration.source)
            .join(Registration, Registration.id == RegistrationLog.registration_id)
            .join(Member, Member.id == Registration.member_id)
            .outerjoin(User, User.id == RegistrationLog.user_id)
            .where(RegistrationLog.event_id == event.id)
            .order_by(RegistrationLog.at.desc(), RegistrationLog.id.desc()).limit(limit))
    return [tuple(row) for row in session.execute(stmt).all()]


def register_cancelled(session: Session, event: Event, member_id: int, source: str, actor: Actor | None = None, *,
                       at: datetime | None = None, source_id_: str | None = None) -> tuple[Registration, bool]:
    """A registration that arrives cancelled (a guest list's declined or refunded guest): it takes no place and
    promotes nobody, but they did sign up, so it adds the registration activity. An existing registration is
    left as it is (created is False)."""
    if source not in REGISTRATION_SOURCES:
        raise EventError("source", "Unknown source.")
    _live(session, event, member_id)
    _lock(session, event)
    reg = session.scalar(select(Registration).where(Registration.event_id == event.id,
                                                    Registration.member_id == member_id))
    if reg is not None:
        return reg, False
    now = utcnow()
    at = min(at or now, now)
    reg = Registration(org_id=event.org_id, event_id=event.id, member_id=member_id, source=source,
                       status="cancelled", registered_at=at, cancelled_at=now, ticket=secrets.token_urlsafe(18),
                       source_id=source_id_, answers={})
    session.add(reg)
    session.flush()
    _log(session, reg, "cancelled", actor, now)
    ingest.store_known(session, event.org_id, [_activity(event, member_id, "event_registration", at, "registration")])
    return reg, True
