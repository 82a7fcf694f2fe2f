"""Per-organisation API keys. Shown once at creation; only a SHA-256 of the key is stored.

Key format: `cmk_<prefix>_<secret>`. The prefix is unique and public (lists, logs, rate-limit buckets);
the secret is 192 random bits, so a fast hash is enough (no password stretching needed)."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenants.agency.models import ApiKey, Organisation
from tenants.core import audit
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.db import system_scope
from tenants.core.ids import token_hash

SCOPES = ("activities:write", "members:read", "segments:write", "leaders:write", "events:write")
TOUCH_EVERY = timedelta(minutes=1)


class ApiKeyError(ValueError):
    pass


def prefix_of(token: str) -> str | None:
    parts = (token or "").split("_", 2)
    if len(parts) != 3 or parts[0] != "cmk" or len(parts[1]) != 8:
        return None
    return parts[1]


def create(session: Session, org_id: int, name: str, actor: Actor, scopes: tuple[str, ...] = SCOPES
           ) -> tuple[ApiKey, str]:
    name = (name or "").strip()
    if not name:
        raise ApiKeyError("Name is required.")
    prefix = secrets.token_hex(4)
    token = f"cmk_{prefix}_{secrets.token_urlsafe(24)}"
    key = ApiKey(org_id=org_id, name=name[:120], prefix=prefix, key_hash=token_hash(token), scopes=list(scopes),
                 created_by_id=actor.user_id)
    session.add(key)
    session.flush()
    audit.record(session, "api_key_created", actor, target=f"{name} ({prefix})")
    return key, token


def for_org(session: Session, org_id: int) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.org_id == org_id).order_by(ApiKey.created_at.desc())))


def revoke(session: Session, org_id: int, public_id: str, actor: Actor) -> bool:
    key = session.scalar(select(ApiKey).where(ApiKey.org_id == org_id, ApiKey.public_id == public_id))
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    audit.record(session, "api_key_revoked", actor, target=f"{key.name} ({key.prefix})")
    return True


@dataclass(frozen=True)
class KeyOwner:
    agency_id: int
    org_id: int
    key_id: int
    prefix: str
    scopes: tuple[str, ...]


def authenticate(token: str) -> KeyOwner | None:
    """Find the key's organisation from the token alone (a system lookup: the tenant is what we learn)."""
    prefix = prefix_of(token)
    if prefix is None:
        return None
    with system_scope() as s:
        key = s.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        if key is None or key.revoked_at is not None:
            return None
        if not hmac.compare_digest(key.key_hash, token_hash(token)):
            return None
        org = s.get(Organisation, key.org_id)
        if org is None or org.archived_at is not None:
            return None
        last = key.last_used_at
        if last is None or utcnow() - (last if last.tzinfo else last.replace(tzinfo=utcnow().tzinfo)) > TOUCH_EVERY:
            key.last_used_at = utcnow()
        return KeyOwner(key.agency_id, key.org_id, key.id, key.prefix, tuple(key.scopes or ()))
