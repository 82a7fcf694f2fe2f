"""Sign-up by mail. The form answers the same whether or not the address has an account: either way a mail goes
to the address, and only its owner can go on. A new address gets a link to choose a password, which creates
the agency and its owner; an address with an account is told that someone tried to sign up with it (log in, or
reset the password), with a link that creates the agency under that account once its password is given.

The link is the request itself, signed with SECRET_KEY and valid for a day: nothing is stored until it is used,
and a new account's link stops working once the account exists."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from tenants.accounts.users import AccountError, SignupResult, create_agency, find_user, normalise_email
from tenants.core import mail
from tenants.core.base import utcnow
from tenants.core.config import get_settings
from tenants.core.db import system_scope
from tenants.core.models import OutboxMail

SIGNUP_TTL = timedelta(days=1)
NEW, EXISTING = "new", "existing"     # which mail `compose` is asked for


@dataclass(frozen=True)
class SignupRequest:
    email: str
    name: str
    agency_name: str
    locale: str | None = None
    user_id: int | None = None       # the address's account when the mail was sent


# compose(kind, locale) -> (subject, body template): the mail in that language. NEW's body has {name}, {agency}
# and {link}; EXISTING's also {login} and {reset}.
Compose = Callable[[str, str | None], tuple[str, str]]


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt="communa-signup")


def request(session, req: SignupRequest, base_url: str, compose: Compose) -> OutboxMail:
    """Mail the address; the caller answers the same whatever happens here. A user's own language for a mail to
    an existing account, the request's for a new one."""
    email = normalise_email(req.email)
    user = find_user(session, email)
    token = _signer().dumps({"e": email, "n": req.name.strip(), "a": req.agency_name.strip(), "l": req.locale,
                             "u": user.id if user else None})
    base = base_url.rstrip("/")
    link = f"{base}/signup/{token}"
    if user is None:
        subject, body = compose(NEW, req.locale)
        text = body.format(name=req.name.strip(), agency=req.agency_name.strip(), link=link)
    else:
        subject, body = compose(EXISTING, user.locale or req.locale)
        text = body.format(name=user.name, agency=req.agency_name.strip(), link=link, login=f"{base}/login",
                           reset=f"{base}/password/forgot")
    return mail.send(session, email, subject, text, link=link, link_until=utcnow() + SIGNUP_TTL)


def open_request(token: str) -> SignupRequest | None:
    """The sign-up a link asks for, if it is genuine, less than a day old and not used up."""
    try:
        data = _signer().loads(token, max_age=int(SIGNUP_TTL.total_seconds()))
        req = SignupRequest(email=data["e"], name=data["n"], agency_name=data["a"], locale=data["l"],
                            user_id=data["u"])
    except (BadSignature, KeyError, TypeError):
        return None
    with system_scope() as s:
        user = find_user(s, req.email)
        account = user.id if user else None
    # A new account's link is used up once the account exists; an existing account's, if that account is gone.
    return req if account == req.user_id else None


def complete(token: str, password: str, ip: str | None = None) -> SignupResult:
    """Create the agency the link asks for: a new owner with `password`, or the existing account, which must
    give its password (AccountError otherwise)."""
    req = open_request(token)
    if req is None:
        raise AccountError("This link is invalid or has expired. Sign up again.")
    try:
        return create_agency(req.agency_name, req.name, req.email, password, ip=ip, locale=req.locale)
    except IntegrityError:          # the same link, used twice at once: the other use created the account
        raise AccountError("This link is invalid or has expired. Sign up again.") from None
