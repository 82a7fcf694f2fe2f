"""Flask-Login glue: the cookie carries a LoginSession key, so revoking the row ends the session."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, request, session
from flask_login import UserMixin, login_user, logout_user

from tenants.accounts import users
from tenants.accounts.models import User
from tenants.agency import team
from tenants.core.audit import Actor
from tenants.core.db import db


class SignedInUser(UserMixin):
    def __init__(self, user: User, key: str) -> None:
        self.user, self.key = user, key

    def get_id(self) -> str:
        return self.key

    def __getattr__(self, name: str):
        return getattr(self.user, name)


def load_signed_in(key: str) -> SignedInUser | None:
    """Flask-Login's user loader. The user's memberships come in the same query and wait in g for the first
    wall (web/tenancy.py)."""
    found = team.signed_in(db, key)
    if db.dirty:
        db.commit()     # the session's last-seen stamp, moved every few minutes
    if found is None:
        return None
    user, g.memberships = found
    return SignedInUser(user, key)


def sign_in(user: User) -> None:
    key = users.open_session(db, user, request.remote_addr, request.headers.get("User-Agent"))
    db.commit()
    lang = session.get("lang")
    session.clear()  # a fresh session on sign-in: no fixation
    if lang:
        session["lang"] = lang
    login_user(SignedInUser(user, key))
    users.record_for_user(user, "login", Actor(user.id, user.email, request.remote_addr))


def sign_out(user: SignedInUser) -> None:
    users.revoke_session(db, user.key)
    db.commit()
    users.record_for_user(user.user, "logout", Actor(user.id, user.email, request.remote_addr))
    logout_user()
    session.clear()


def safe_next(target: str | None) -> str | None:
    """Only same-site paths: '/x', never '//host', 'http://host' or '/\\host'."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\r\n\t"):
        return None
    return target
