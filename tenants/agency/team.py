"""The agency's people (users with a role): invitations, role changes, assignments, removal."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, bindparam, delete, func, select, true
from sqlalchemy.orm import Session
from sqlalchemy.orm import outerjoin as orm_outerjoin

from tenants.accounts.models import ROLES, Agency, AgencyRole, LoginSession, User
from tenants.accounts.users import (
    AccountError,
    check_password,
    find_user,
    hash_password,
    normalise_email,
    session_user,
)
from tenants.agency.access import Membership
from tenants.agency.models import Invitation, OrgAccess, Organisation
from tenants.core import audit, mail
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.db import system_scope
from tenants.core.ids import new_token, token_hash

INVITATION_TTL = timedelta(days=7)


class TeamError(ValueError):
    """A user-facing refusal; the message is a gettext msgid."""


@dataclass
class Person:
    user: User
    role: str
    orgs: list[Organisation] = field(default_factory=list)


def people(session: Session) -> list[Person]:
    roles = session.scalars(select(AgencyRole).order_by(AgencyRole.created_at)).all()
    access = session.execute(select(OrgAccess.user_id, Organisation).join(
        Organisation, Organisation.id == OrgAccess.org_id).order_by(Organisation.name)).all()
    by_user: dict[int, list[Organisation]] = {}
    for user_id, org in access:
        by_user.setdefault(user_id, []).append(org)
    order = {r: i for i, r in enumerate(ROLES)}
    found = [Person(user=r.user, role=r.role, orgs=by_user.get(r.user_id, [])) for r in roles]
    return sorted(found, key=lambda p: (order.get(p.role, 9), p.user.name.lower()))


def pending_invitations(session: Session) -> list[Invitation]:
    stmt = select(Invitation).where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
    return [i for i in session.scalars(stmt.order_by(Invitation.created_at.desc())) if i.state == "pending"]


def _check_orgs(session: Session, role: str, org_ids: list[int]) -> list[int]:
    org_ids = sorted(set(org_ids))
    if org_ids:
        found = set(session.scalars(select(Organisation.id).where(Organisation.id.in_(org_ids))))
        if found != set(org_ids):
            raise TeamError("Unknown organisation.")
    if role == "client" and len(org_ids) != 1:
        raise TeamError("A client belongs to exactly one organisation.")
    if role in ("owner", "admin"):
        return []
    return org_ids


def _check_grant(granter_role: str, role: str) -> None:
    if role not in ROLES:
        raise TeamError("Unknown role.")
    if role == "owner" and granter_role != "owner":
        raise TeamError("Only an owner can make someone an owner.")


def invite(session: Session, agency: Agency, email: str, role: str, org_ids: list[int], granter_role: str,
           actor: Actor, base_url: str, subject: str, body: str) -> Invitation:
    """Create and mail a single-use invitation link. The answer never says whether the email has an account.
    `body` is a template with {agency} and {link}, already in the inviter's language."""
    email = normalise_email(email)
    _check_grant(granter_role, role)
    org_ids = _check_orgs(session, role, org_ids)
    # A new invitation to the same address replaces any pending one.
    for old in session.scalars(select(Invitation).where(Invitation.email == email,
                                                        Invitation.accepted_at.is_(None),
                                                        Invitation.revoked_at.is_(None))):
        old.revoked_at = utcnow()
    token = new_token()
    inv = Invitation(email=email, role=role, org_ids=org_ids, token_hash=token_hash(token),
                     invited_by_id=actor.user_id, expires_at=utcnow() + INVITATION_TTL)
    session.add(inv)
    audit.record(session, "invitation_sent", actor, target=email, role=role)
    link = f"{base_url.rstrip('/')}/invite/{token}"
    mail.send(session, email, subject, body.format(agency=agency.name, link=link), link=link,
              link_until=inv.expires_at)
    return inv


def revoke_invitation(session: Session, public_id: str, actor: Actor) -> bool:
    inv = session.scalar(select(Invitation).where(Invitation.public_id == public_id))
    if inv is None or inv.state != "pending":
        return False
    inv.revoked_at = utcnow()
    audit.record(session, "invitation_revoked", actor, target=inv.email)
    return True


@dataclass
class InvitationView:
    """What the invitee sees before accepting (read across tenants by token)."""
    agency_id: int
    agency_name: str
    agency_slug: str
    email: str
    role: str
    has_account: bool


def open_invitation(token: str) -> InvitationView | None:
    """Find a pending invitation by the secret in its link. None if unknown, used, revoked or expired."""
    with system_scope() as s:
        inv = s.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
        if inv is None or inv.state != "pending":
            return None
        agency = s.get(Agency, inv.agency_id)
        has_account = find_user(s, inv.email) is not None
        return InvitationView(agency.id, agency.name, agency.slug, inv.email, inv.role, has_account)


def accept_invitation(token: str, *, name: str | None, password: str, signed_in: User | None,
                      ip: str | None) -> tuple[User, str]:
    """Accept with a new password (new account) or the existing account's password (or while signed in
    as that account). Single use. Returns the user and the agency slug."""
    view = open_invitation(token)
    if view is None:
        raise AccountError("This invitation is invalid, used or expired. Ask for a new one.")
    with system_scope() as s:
        inv = s.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token))
                       .with_for_update())
        if inv is None or inv.state != "pending":
            raise AccountError("This invitation is invalid, used or expired. Ask for a new one.")
        user = find_user(s, inv.email)
        if user is None:
            if not (name or "").strip():
                raise AccountError("Your name is required.")
            user = User(email=inv.email, name=name.strip(), password_hash=hash_password(password))
            s.add(user)
            s.flush()
        elif not (signed_in is not None and signed_in.id == user.id) and not check_password(user, password):
            raise AccountError("Enter the password of your existing account.")
        _grant(s, view.agency_id, user.id, inv.role, inv.org_ids)
        inv.accepted_at = utcnow()
        entry = audit.record(s, "invitation_accepted", Actor(user.id, user.email, ip), target=user.email,
                             role=inv.role)
        entry.agency_id = view.agency_id
        s.flush()
        s.expunge(user)
    return user, view.agency_slug


def _grant(s: Session, agency_id: int, user_id: int, role: str, org_ids: list[int]) -> None:
    current = s.scalar(select(AgencyRole).where(AgencyRole.agency_id == agency_id,
                                                AgencyRole.user_id == user_id))
    if current is None:
        s.add(AgencyRole(agency_id=agency_id, user_id=user_id, role=role))
    elif current.role != "owner":  # an invitation never demotes an owner
        current.role = role
    s.execute(delete(OrgAccess).where(OrgAccess.agency_id == agency_id, OrgAccess.user_id == user_id))
    if role in ("manager", "client"):
        for org_id in org_ids:
            s.add(OrgAccess(agency_id=agency_id, org_id=org_id, user_id=user_id, role=role))


def _target(session: Session, public_id: str) -> AgencyRole:
    row = session.scalar(select(AgencyRole).join(User, User.id == AgencyRole.user_id)
                         .where(User.public_id == public_id))
    if row is None:
        raise LookupError(public_id)
    return row


def _owners(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AgencyRole).where(AgencyRole.role == "owner")) or 0


def change_role(session: Session, public_id: str, role: str, org_ids: list[int], granter_role: str,
                actor: Actor) -> None:
    """Set a person's role and assignments. Raises LookupError when the person is not in this agency."""
    row = _target(session, public_id)
    _check_grant(granter_role, role)
    if row.role == "owner" and granter_role != "owner":
        raise TeamError("Only an owner can change another owner.")
    if row.role == "owner" and role != "owner" and _owners(session) <= 1:
        raise TeamError("The agency needs at least one owner.")
    org_ids = _check_orgs(session, role, org_ids)
    before = (row.role, sorted(session.scalars(select(OrgAccess.org_id).where(OrgAccess.user_id == row.user_id))))
    row.role = role
    session.execute(delete(OrgAccess).where(OrgAccess.user_id == row.user_id))
    if role in ("manager", "client"):
        session.add_all(OrgAccess(org_id=o, user_id=row.user_id, role=role) for o in org_ids)
    if before != (role, org_ids):
        audit.record(session, "role_changed", actor, target=row.user.email, role=role, before=before[0],
                     orgs=len(org_ids))


def remove(session: Session, public_id: str, granter_role: str, actor: Actor) -> None:
    row = _target(session, public_id)
    if row.role == "owner" and granter_role != "owner":
        raise TeamError("Only an owner can change another owner.")
    if row.role == "owner" and _owners(session) <= 1:
        raise TeamError("The agency needs at least one owner.")
    email = row.user.email
    session.execute(delete(OrgAccess).where(OrgAccess.user_id == row.user_id))
    session.delete(row)
    audit.record(session, "user_removed", actor, target=email)


def agencies_of(user_id: int) -> list[tuple[Agency, str]]:
    """Every agency the user belongs to, with the role: for the agency switcher."""
    return [(a, m.role) for a, m in memberships_of(user_id)]


def memberships_of(user_id: int) -> list[tuple[Agency, Membership]]:
    """Every agency the user belongs to with their standing in it (role, assigned organisations), by name, in
    a system session of its own. The first wall and the agency switcher need it on every page, where
    `signed_in` brings it with the sign-in session instead."""
    with system_scope() as s:
        rows = s.execute(select(Agency, AgencyRole.role, OrgAccess.org_id)
                         .join(AgencyRole, AgencyRole.agency_id == Agency.id)
                         .outerjoin(OrgAccess, and_(OrgAccess.user_id == AgencyRole.user_id,
                                                    OrgAccess.agency_id == AgencyRole.agency_id))
                         .where(AgencyRole.user_id == user_id).order_by(Agency.name, Agency.id)).all()
        s.expunge_all()
    return _by_agency(user_id, rows)


def _by_agency(user_id: int, rows) -> list[tuple[Agency, Membership]]:
    found: dict[int, tuple[Agency, Membership]] = {}
    for agency, role, org_id in rows:
        _a, m = found.setdefault(agency.id, (agency, Membership(user_id=user_id, role=role)))
        if org_id is not None:
            m.org_ids.add(org_id)
    return list(found.values())


# A sign-in session with its user and the user's grants, read in the request's own transaction before any
# tenant is bound: user_memberships() (SECURITY DEFINER, migration 0019) answers for that one user only.
_GRANTS = func.user_memberships(LoginSession.user_id).table_valued("agency_id", "role", "org_id").render_derived()
_SIGNED_IN_WITH_GRANTS = (
    select(LoginSession, Agency, _GRANTS.c.role, _GRANTS.c.org_id)
    .select_from(orm_outerjoin(orm_outerjoin(LoginSession, _GRANTS, true()), Agency, Agency.id == _GRANTS.c.agency_id))
    .where(LoginSession.id == bindparam("key")).order_by(Agency.name, Agency.id))


def signed_in(session: Session, key: str) -> tuple[User, list[tuple[Agency, Membership]]] | None:
    """The user of a sign-in session key and their memberships (as memberships_of gives them), read in one
    query; None when the session is not good."""
    rows = session.execute(_SIGNED_IN_WITH_GRANTS, {"key": key}).all()
    user = session_user(session, rows[0][0]) if rows else None
    if user is None:
        return None
    return user, _by_agency(user.id, [(a, role, org_id) for _s, a, role, org_id in rows if a is not None])
