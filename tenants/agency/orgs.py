"""Client organisations of an agency: create, rename, archive, restore."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenants.agency.models import Organisation
from tenants.core import audit, ids
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.ids import RESERVED_ORG_SLUGS

PRIVACY_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
PRIVACY_URL_MAX = 500


class OrgError(ValueError):
    pass


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise OrgError("Name is required.")
    if len(name) > 120:
        raise OrgError("Name is too long (120 characters at most).")
    return name


def unique_slug(session: Session, name: str) -> str:
    """Unique within the agency (the query is tenant-scoped)."""
    return ids.unique_slug(name, RESERVED_ORG_SLUGS,
                           lambda slug: session.scalar(select(Organisation.id).where(Organisation.slug == slug))
                           is not None)


def create(session: Session, name: str, actor: Actor) -> Organisation:
    name = _clean_name(name)
    org = Organisation(name=name, slug=unique_slug(session, name))
    session.add(org)
    session.flush()
    audit.record(session, "org_created", actor, target=org.name, slug=org.slug)
    return org


def by_slug(session: Session, slug: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.slug == slug))


def rename(session: Session, org: Organisation, name: str, actor: Actor) -> None:
    """The slug stays, so bookmarks and API links keep working."""
    name = _clean_name(name)
    if name != org.name:
        audit.record(session, "org_renamed", actor, target=name, before=org.name)
        org.name = name


def archive(session: Session, org: Organisation, actor: Actor) -> None:
    if org.archived_at is None:
        org.archived_at = utcnow()
        audit.record(session, "org_archived", actor, target=org.name)


def restore(session: Session, org: Organisation, actor: Actor) -> None:
    if org.archived_at is not None:
        org.archived_at = None
        audit.record(session, "org_restored", actor, target=org.name)


UPLOAD_RETENTION_DAYS = (1, 3650)


def set_upload_retention(org: Organisation, days: str | int) -> None:
    """How many days uploaded files are kept once nothing is importing them (OrgError unless 1-3650)."""
    value = str(days).strip()
    low, high = UPLOAD_RETENTION_DAYS
    if not value.isdigit() or not low <= int(value) <= high:
        raise OrgError("Keep uploaded files for 1 to 3650 days.")
    org.upload_retention_days = int(value)


def set_privacy_url(org: Organisation, url: str) -> None:
    """The privacy notice the public event registration form asks consent to: an http(s) link, or empty."""
    value = (url or "").strip()
    if len(value) > PRIVACY_URL_MAX or (value and not PRIVACY_URL.match(value)):
        raise OrgError("The privacy notice must be a link starting with http:// or https://, at most "
                       "500 characters.")
    org.privacy_url = value


def set_store_message_text(org: Organisation, keep: bool) -> None:
    """Whether imports keep the text of messages (off: only who wrote when)."""
    org.store_message_text = keep
