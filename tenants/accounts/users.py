"""Users, passwords and sign-in sessions. Users are global: one person may serve several agencies."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from tenants.accounts.models import Agency, AgencyRole, LoginSession, PasswordReset, User
from tenants.core import audit, mail
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.db import system_scope
from tenants.core.ids import RESERVED_AGENCY_SLUGS, new_token, token_hash, unique_slug

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD = 10
RESET_TTL = timedelta(hours=1)
SESSION_TOUCH = timedelta(minutes=5)
SESSION_IDLE = timedelta(days=30)


class AccountError(ValueError):
    """A user-facing refusal; the message is a gettext msgid the web layer translates."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError("Password must be at least 10 characters.")
    return hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """Constant work whether or not the user exists, so timing tells nothing."""
    try:
        return hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "") and user is not None
    except (VerificationError, InvalidHashError):
        return False


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = find_user(session, email)
    if not check_password(user, password) or not user.is_active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def agency_by_slug(session: Session, slug: str) -> Agency | None:
    return session.scalar(select(Agency).where(Agency.slug == slug))


def unique_agency_slug(session: Session, name: str) -> str:
    return unique_slug(name, RESERVED_AGENCY_SLUGS,
                       lambda slug: session.scalar(select(Agency.id).where(Agency.slug == slug)) is not None)


@dataclass
class SignupResult:
    agency: Agency
    user: User


def create_agency(agency_name: str, owner_name: str, email: str, password: str,
                  ip: str | None = None, locale: str | None = None) -> SignupResult:
    """Sign-up: a new agency and its owner. An existing account must prove its password."""
    email = normalise_email(email)
    agency_name, owner_name = agency_name.strip(), owner_name.strip()
    if not agency_name:
        raise AccountError("Agency name is required.")
    with system_scope() as s:
        user = find_user(s, email)
        if user is None:
            user = User(email=email, name=owner_name or email, password_hash=hash_password(password),
                        locale=locale)
            s.add(user)
        elif not check_password(user, password):
            raise AccountError("This email already has an account: enter its password, or log in first.")
        agency = Agency(name=agency_name, slug=unique_agency_slug(s, agency_name))
        s.add(agency)
        s.flush()
        s.add(AgencyRole(agency_id=agency.id, user_id=user.id, role="owner"))
        entry = audit.record(s, "agency_created", Actor(user.id, user.email, ip), target=agency.name)
        entry.agency_id = agency.id
        s.flush()
        s.expunge_all()
    return SignupResult(agency=agency, user=user)


# --- sign-in sessions --------------------------------------------------------------------------

def open_session(session: Session, user: User, ip: str | None, user_agent: str | None) -> str:
    key = secrets.token_urlsafe(32)
    session.add(LoginSession(id=key, user_id=user.id, ip=ip, user_agent=(user_agent or "")[:255]))
    return key


# Read on every request: built once (a get() with options builds its statement each time).
_SIGNED_IN = select(LoginSession).where(LoginSession.id == bindparam("key"))    # the user comes joined


def load_session(session: Session, key: str) -> User | None:
    return session_user(session, session.scalar(_SIGNED_IN, {"key": key}))


def session_user(session: Session, row: LoginSession | None) -> User | None:
    """The user of a sign-in session row, if it is still good (not revoked, user active, not idle too long);
    marks it seen every few minutes."""
    if row is None or row.revoked_at is not None or not row.user.is_active:
        return None
    seen = row.last_seen_at if row.last_seen_at.tzinfo else row.last_seen_at.replace(tzinfo=UTC)
    if utcnow() - seen > SESSION_IDLE:
        return None
    if utcnow() - seen > SESSION_TOUCH:
        row.last_seen_at = utcnow()     # the caller commits
    return row.user


def revoke_session(session: Session, key: str) -> None:
    session.execute(update(LoginSession).where(LoginSession.id == key, LoginSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))


def revoke_all_sessions(session: Session, user: User) -> None:
    session.execute(update(LoginSession).where(LoginSession.user_id == user.id,
                                               LoginSession.revoked_at.is_(None)).values(revoked_at=utcnow()))


def attached(session: Session, user: User) -> User:
    """The signed-in user (loaded with the request's sign-in session) as an object of `session`, to change."""
    return session.merge(user)


def update_profile(user: User, name: str, locale: str | None) -> None:
    """The user's name and, when given, language (a supported locale code; the caller checks it)."""
    user.name = name.strip()
    if locale:
        user.locale = locale


def set_locale(user: User, locale: str) -> None:
    """The user's language (a supported locale code; the caller checks it)."""
    user.locale = locale


def active_sessions(session: Session, user: User) -> list[LoginSession]:
    stmt = (select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
            .order_by(LoginSession.last_seen_at.desc()))
    return list(session.scalars(stmt))


def set_password(session: Session, user: User, new_password: str) -> None:
    """New password; every existing sign-in session stops working."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    revoke_all_sessions(session, user)


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not check_password(user, current):
        raise AccountError("Current password is wrong.")
    set_password(session, user, new)


# --- password reset ----------------------------------------------------------------------------

def request_password_reset(session: Session, email: str, base_url: str, subject: str, body: str) -> None:
    """Mail a one-hour, single-use link if the account exists; the caller answers the same either way.
    `body` is a template with {name} and {link}, already in the user's language."""
    user = find_user(session, email)
    if user is None or not user.is_active:
        return
    token, expires = new_token(), utcnow() + RESET_TTL
    session.add(PasswordReset(user_id=user.id, token_hash=token_hash(token), expires_at=expires))
    link = f"{base_url.rstrip('/')}/password/reset/{token}"
    mail.send(session, user.email, subject, body.format(name=user.name, link=link), link=link, link_until=expires)


def _valid_reset(session: Session, token: str) -> PasswordReset | None:
    row = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash(token)))
    if row is None or row.used_at is not None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    return row if expires > utcnow() else None


def reset_token_valid(session: Session, token: str) -> bool:
    return _valid_reset(session, token) is not None


def reset_password(session: Session, token: str, new_password: str) -> User:
    row = _valid_reset(session, token)
    if row is None:
        raise AccountError("This link is invalid or has expired. Ask for a new one.")
    user = session.get(User, row.user_id)
    set_password(session, user, new_password)
    row.used_at = utcnow()
    # Any other outstanding links for this user die with this one.
    session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id,
                                                PasswordReset.used_at.is_(None)).values(used_at=utcnow()))
    return user


def purge_expired(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Housekeeping for the scheduler: old reset links and long-dead sessions."""
    now = now or utcnow()
    resets = session.execute(delete(PasswordReset).where(PasswordReset.expires_at < now - timedelta(days=1)))
    sessions = session.execute(delete(LoginSession).where(
        (LoginSession.revoked_at < now - timedelta(days=30)) |
        (LoginSession.last_seen_at < now - timedelta(days=90))))
    return {"password_resets": resets.rowcount or 0, "login_sessions": sessions.rowcount or 0}


def record_for_user(user: User, action: str, actor: Actor, **meta) -> None:
    """An account-level event (login) goes to the log of every agency the user belongs to."""
    with system_scope() as s:
        agency_ids = s.scalars(select(AgencyRole.agency_id).where(AgencyRole.user_id == user.id)).all()
        for agency_id in agency_ids:
            audit.record(s, action, actor, target=user.email, agency_id=agency_id, **meta)
