"""Registrations and check-ins in batches, as the API and guest-list imports send them: every item checked first
(`parse_registration`, `parse_check_in`), the members resolved (or created) in one statement, then each item
applied in a savepoint of the caller's transaction, so one refused item loses none of the others. A member with
nothing stored for them at the end (every item naming them failed) is removed again. The caller commits."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenants.community import ingest
from tenants.community.validate import IdentityRef, ItemError, parse_identity, parse_time
from tenants.community.values import limit, text
from tenants.core.audit import Actor
from tenants.core.errors import DomainError
from tenants.events import registrations
from tenants.events.models import Event, Registration

MAX_ITEMS = 500     # registrations or check-ins per API call: each is some ten statements (8 ms), so 4 s at most
API_STATUSES = ("registered", "waitlisted")


@dataclass(slots=True)
class RegistrationIn:
    member: IdentityRef
    status: str | None = None               # None or "registered": capacity decides; "waitlisted"; "cancelled"
    at: datetime | None = None              # when they registered (now when not said)
    source_id: str | None = None            # the sender's id of this registration: sent again, a duplicate
    checked_in_at: datetime | None = None   # a guest list says they came (imports)


@dataclass(slots=True)
class CheckInIn:
    member: IdentityRef | None
    ticket: str | None
    at: datetime | None


@dataclass
class Batch:
    """What a batch did. `errors` holds (index, the refusal) for each item that was not applied."""
    accepted: int = 0
    duplicates: int = 0
    walk_ins: int = 0
    checked_in: int = 0
    errors: list[tuple[int, DomainError]] = field(default_factory=list)
    promoted: list[Registration] = field(default_factory=list)


def _object(obj, name: str, allowed: set[str]) -> dict:
    if not isinstance(obj, dict):
        raise ItemError("%(field)s must be an object", field=name)
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise ItemError("unknown field: %(field)s", field=unknown[0])
    return obj


def parse_registration(obj) -> RegistrationIn:
    """One item of the API's registrations list: {"member", "status"?, "registered_at"?, "source_id"?}."""
    obj = _object(obj, "item", {"member", "status", "registered_at", "source_id"})
    status = obj.get("status")
    if status is not None and status not in API_STATUSES:
        raise ItemError("status must be one of: %(statuses)s", statuses=", ".join(API_STATUSES))
    at = parse_time(obj["registered_at"], "registered_at") if obj.get("registered_at") is not None else None
    source = text(obj.get("source_id"), "source_id", limit(Registration.source_id), required=False)
    return RegistrationIn(parse_identity(obj.get("member")), status, at, source or None)


def parse_check_in(obj, at: datetime | None) -> CheckInIn:
    """One item of the API's check-ins list: {"member": {...}} or {"ticket": "..."}, optionally its own "at"."""
    obj = _object(obj, "item", {"member", "ticket", "at"})
    if ("member" in obj) == ("ticket" in obj):
        raise ItemError("give either member or ticket")
    when = parse_time(obj["at"], "at") if obj.get("at") is not None else at
    if "ticket" in obj:
        ticket = text(obj["ticket"], "ticket", limit(Registration.ticket))
        return CheckInIn(None, ticket, when)
    return CheckInIn(parse_identity(obj["member"]), None, when)


def _resolve(session: Session, org_id: int, refs: list[IdentityRef]) -> tuple[dict, set[int]]:
    return ingest.resolve_members(session, org_id, refs, serialise=True) if refs else ({}, set())


def register_all(session: Session, event: Event, items: list[tuple[int, RegistrationIn]], source: str,
                 actor: Actor | None = None) -> Batch:
    """Register each item's member (`source`: "api", "import"). A member already registered, or a source_id
    seen before at this event, is a duplicate; a guest list's "cancelled" guest is kept as a cancelled
    registration; its checked-in guests are checked in (counted in `checked_in`)."""
    batch = Batch()
    members, created = _resolve(session, event.org_id, [item.member for _i, item in items])
    for index, item in items:
        try:
            with session.begin_nested():
                _register(session, event, members[item.member.key], item, source, actor, batch)
        except DomainError as exc:
            batch.errors.append((index, exc))
    ingest.forget(session, event.org_id, created)
    return batch


def _register(session: Session, event: Event, member_id: int, item: RegistrationIn, source: str,
              actor: Actor | None, batch: Batch) -> None:
    if item.source_id and session.scalar(select(Registration.id).where(
            Registration.event_id == event.id, Registration.source_id == item.source_id)) is not None:
        batch.duplicates += 1
        return
    if item.status == "cancelled":
        _reg, new = registrations.register_cancelled(session, event, member_id, source, actor, at=item.at,
                                                     source_id_=item.source_id)
    else:
        _reg, new = registrations.register(session, event, member_id, source, actor, at=item.at,
                                           status=item.status, source_id_=item.source_id)
    checked = False
    if item.checked_in_at is not None and _reg.status != "cancelled":
        _reg, outcome = registrations.check_in(session, event, member_id, actor, at=item.checked_in_at)
        checked = outcome != "already"
        batch.checked_in += checked
    if new:
        batch.accepted += 1
    elif not checked:
        batch.duplicates += 1


def check_in_all(session: Session, event: Event, items: list[tuple[int, CheckInIn]],
                 actor: Actor | None = None) -> Batch:
    """Check each item's member (or ticket holder) in. A member without a registration is a walk-in (counted in
    `accepted` and in `walk_ins`); one already checked in is a duplicate; an unknown ticket an error."""
    batch = Batch()
    members, created = _resolve(session, event.org_id, [item.member for _i, item in items if item.member])
    for index, item in items:
        try:
            with session.begin_nested():
                if item.member is not None:
                    member_id = members[item.member.key]
                else:
                    reg = registrations.by_ticket(session, event, item.ticket)
                    if reg is None:
                        raise ItemError("no registration at this event has this ticket")
                    member_id = reg.member_id
                _reg, outcome = registrations.check_in(session, event, member_id, actor, at=item.at)
        except DomainError as exc:
            batch.errors.append((index, exc))
            continue
        if outcome == "already":
            batch.duplicates += 1
        else:
            batch.accepted += 1
            batch.walk_ins += outcome == "walk_in"
    ingest.forget(session, event.org_id, created)
    return batch
