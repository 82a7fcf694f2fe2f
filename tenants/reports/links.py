"""Share links: a secret URL that opens one published report version without signing in. The token has 256
bits (`secrets.token_urlsafe(32)`); only its SHA-256 is stored and looked up (an indexed equality on the hash,
so nothing about the token leaks through timing). A link can expire, be revoked, and counts its views."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tenants.agency.models import Organisation
from tenants.core.audit import Actor, record
from tenants.core.base import utcnow
from tenants.core.db import system_scope
from tenants.core.ids import new_token, token_hash
from tenants.reports.models import PUBLISHED, Report, ShareLink
from tenants.reports.service import ReportError

TOKEN = re.compile(r"^[A-Za-z0-9_-]{40,64}$")
MAX_DAYS = 365


@dataclass(frozen=True)
class Place:
    agency_id: int
    org_id: int
    link_id: int


def create(session: Session, report: Report, actor: Actor, expires_days: int | None = None,
           show_names: bool = False, label: str = "") -> tuple[ShareLink, str]:
    """A new link to the report (published only); returns it with its token, which is shown once."""
    if report.status != PUBLISHED:
        raise ReportError("Only a published report can be shared.")
    if expires_days is not None and not 1 <= expires_days <= MAX_DAYS:
        raise ReportError("A link expires after 1 to %(days)s days.", days=MAX_DAYS)
    token = new_token()
    link = ShareLink(org_id=report.org_id, report_id=report.id, token_hash=token_hash(token),
                     show_names=show_names, label=label.replace("\x00", "")[:200], created_by_id=actor.user_id,
                     expires_at=utcnow() + timedelta(days=expires_days) if expires_days else None)
    session.add(link)
    session.flush()
    record(session, "share_link_created", actor, target=report.public_id, link=link.public_id,
           expires_days=expires_days, show_names=show_names)
    return link, token


def of_report(session: Session, report: Report) -> list[ShareLink]:
    return list(session.scalars(select(ShareLink).where(ShareLink.report_id == report.id)
                                .order_by(ShareLink.created_at.desc(), ShareLink.id.desc())))


def by_public_id(session: Session, report: Report, public_id: str) -> ShareLink | None:
    return session.scalar(select(ShareLink).where(ShareLink.report_id == report.id,
                                                  ShareLink.public_id == public_id))


def revoke(session: Session, link: ShareLink, actor: Actor) -> None:
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        record(session, "share_link_revoked", actor, link=link.public_id)


def state(link: ShareLink) -> str:
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at is not None and link.expires_at <= utcnow():
        return "expired"
    return "active"


def locate(token: str) -> Place | None:
    """Where a token leads (a system look-up by its hash): a usable link of an organisation not archived."""
    if not isinstance(token, str) or not TOKEN.match(token):
        return None
    with system_scope() as s:
        row = s.execute(select(ShareLink.agency_id, ShareLink.org_id, ShareLink.id, ShareLink.revoked_at,
                               ShareLink.expires_at)
                        .join(Organisation, Organisation.id == ShareLink.org_id)
                        .where(ShareLink.token_hash == token_hash(token), Organisation.archived_at.is_(None))).first()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    return Place(row.agency_id, row.org_id, row.id)


def open_link(session: Session, place: Place, count: bool = True) -> tuple[ShareLink, Report, Organisation] | None:
    """The link, its report (published) and organisation, in the link's tenant; counts a view."""
    link = session.get(ShareLink, place.link_id)
    report = session.get(Report, link.report_id) if link else None
    if link is None or report is None or report.status != PUBLISHED or state(link) != "active":
        return None
    if count:
        session.execute(update(ShareLink).where(ShareLink.id == link.id)
                        .values(views=ShareLink.views + 1, last_viewed_at=utcnow()))
    return link, report, session.get(Organisation, report.org_id)
