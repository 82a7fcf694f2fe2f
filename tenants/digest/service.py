"""Digest settings and sending. A send addresses the organisation's client users and the extra addresses,
each in their language; a paused digest or an unsubscribed address gets a line in the delivery log and no
mail. Mail goes through the outbox (tenants.core.mail), so it leaves only when the caller commits."""
from __future__ import annotations

import re
from dataclasses import dataclass

import email_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from tenants.accounts.models import Agency, User
from tenants.agency import branding
from tenants.agency.models import OrgAccess, Organisation
from tenants.core import audit, mail
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.db import system_scope
from tenants.core.errors import DomainError
from tenants.core.i18n import LANGUAGES, base_url
from tenants.core.ids import new_token
from tenants.core.models import OutboxMail
from tenants.digest import letter
from tenants.digest.models import DigestDelivery, DigestRecipient, DigestSettings
from tenants.reports import links as report_links
from tenants.reports.models import PUBLISHED, Report

MAX_EXTRA = 50
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
LOG_SHOWN = 100


class DigestError(DomainError):
    """A digest setting refused (the message is a gettext msgid)."""


@dataclass(frozen=True)
class Recipient:
    email: str
    lang: str
    client: bool            # a client user of the organisation (False: an extra address)


def settings_of(session: Session, org_id: int, create: bool = False) -> DigestSettings:
    """The organisation's settings; the defaults (monthly only, not paused, no extra address) until saved.
    `create` stores them, for a change."""
    found = session.scalar(select(DigestSettings).where(DigestSettings.org_id == org_id))
    if found is None:
        found = DigestSettings(org_id=org_id, weekly=False, paused=False, extra=[])
        if create:
            session.add(found)
            session.flush()
    return found


def parse_extra(text: str) -> list[str]:
    """Addresses one per line (or separated by commas or spaces), checked and de-duplicated, in order."""
    out: list[str] = []
    for raw in (text or "").replace(",", " ").split():
        try:
            addr = email_validator.validate_email(raw, check_deliverability=False).normalized.lower()
        except email_validator.EmailNotValidError:
            raise DigestError("%(address)s is not an email address.", address=raw[:80]) from None
        if addr not in out:
            out.append(addr)
    if len(out) > MAX_EXTRA:
        raise DigestError("At most %(num)s extra addresses.", num=MAX_EXTRA)
    return out


def update(session: Session, org_id: int, actor: Actor, *, weekly: bool, paused: bool, extra: str) -> DigestSettings:
    s = settings_of(session, org_id, create=True)
    s.extra = parse_extra(extra)
    s.weekly, s.paused, s.updated_at = weekly, paused, utcnow()
    audit.record(session, "digest_changed", actor, target=str(org_id), weekly=weekly, paused=paused,
                 extra=len(s.extra))
    return s


def recipients(session: Session, org_id: int) -> list[Recipient]:
    """The organisation's client users (in their saved language, else the organisation's report language),
    then the extra addresses; each address once."""
    org = session.get(Organisation, org_id)
    fallback = letter.org_language(session, org)
    rows = session.execute(select(User.email, User.locale).join(OrgAccess, OrgAccess.user_id == User.id)
                           .where(OrgAccess.org_id == org_id, OrgAccess.role == "client").order_by(User.email))
    out = {email.lower(): Recipient(email.lower(), locale if locale in LANGUAGES else fallback, True)
           for email, locale in rows}
    for addr in settings_of(session, org_id).extra:
        out.setdefault(addr, Recipient(addr, fallback, False))
    return list(out.values())


def _recipient(session: Session, org_id: int, email: str) -> DigestRecipient:
    found = session.scalar(select(DigestRecipient).where(DigestRecipient.org_id == org_id,
                                                         DigestRecipient.email == email))
    if found is None:
        found = DigestRecipient(org_id=org_id, email=email, token=new_token())
        session.add(found)
        session.flush()
    return found


def send(session: Session, org_id: int, kind: str, *, report=None, only: str | None = None) -> list[DigestDelivery]:
    """Address the digest of `kind` ("monthly" with a published report, "weekly", or "test" to `only`) and log
    every address. A test ignores the pause and unsubscribes: someone asked for it."""
    org = session.get(Organisation, org_id)
    conf = settings_of(session, org_id)
    people = [Recipient(only, letter.org_language(session, org), False)] if kind == "test" else \
        recipients(session, org_id)
    sender = branding.for_org(session, org).sender_name
    log = []
    for person in people:
        rec = _recipient(session, org_id, person.email)
        outcome = "sent"
        if kind != "test" and conf.paused:
            outcome = "paused"
        elif kind != "test" and rec.unsubscribed_at is not None:
            outcome = "unsubscribed"
        link = _report_link(session, org, report, person) if report is not None and outcome == "sent" else None
        built = letter.build(session, org, kind, person, rec.token, report, link)
        sent = mail.send(session, person.email, built.subject, built.text, html=built.html,
                         sender_name=sender) if outcome == "sent" else None
        row = DigestDelivery(org_id=org_id, kind=kind, email=person.email, outcome=outcome, subject=built.subject,
                             mail_id=sent.id if sent else None)
        session.add(row)
        log.append(row)
    session.flush()
    return log


def deliveries(session: Session, org_id: int, limit: int = LOG_SHOWN) -> list[tuple[DigestDelivery, str | None]]:
    """The newest log lines with their mail's delivery status (outbox, sent or failed)."""
    return list(session.execute(
        select(DigestDelivery, OutboxMail.status).outerjoin(OutboxMail, OutboxMail.id == DigestDelivery.mail_id)
        .where(DigestDelivery.org_id == org_id).order_by(DigestDelivery.at.desc(), DigestDelivery.id.desc())
        .limit(limit)).all())


def unsubscribed(session: Session, org_id: int) -> set[str]:
    return set(session.scalars(select(DigestRecipient.email).where(DigestRecipient.org_id == org_id,
                                                                   DigestRecipient.unsubscribed_at.is_not(None))))


def locate(token: str) -> tuple[int, int] | None:
    """(agency id, organisation id) of an unsubscribe token: a system read that answers only the tenant of the
    row it names."""
    if not isinstance(token, str) or not TOKEN.match(token):
        return None
    with system_scope() as s:
        row = s.execute(select(DigestRecipient.agency_id, DigestRecipient.org_id)
                        .where(DigestRecipient.token == token)).first()
    return (row[0], row[1]) if row else None


def by_token(session: Session, token: str) -> DigestRecipient | None:
    """The recipient of a token, read in its tenant (after `locate`)."""
    return session.scalar(select(DigestRecipient).where(DigestRecipient.token == token)) if token else None


def unsubscribe(session: Session, rec: DigestRecipient) -> None:
    if rec.unsubscribed_at is None:
        rec.unsubscribed_at = utcnow()


def resubscribe(session: Session, rec: DigestRecipient) -> None:
    """The reader's own change of mind, from the unsubscribe page."""
    rec.unsubscribed_at = None


def weekly_orgs(session: Session) -> list[tuple[int, int]]:
    """(agency id, organisation id) of active organisations with the weekly digest on and not paused (a system
    read)."""
    return list(session.execute(
        select(DigestSettings.agency_id, DigestSettings.org_id)
        .join(Organisation, Organisation.id == DigestSettings.org_id)
        .where(Organisation.archived_at.is_(None), DigestSettings.weekly.is_(True), DigestSettings.paused.is_(False))
        .order_by(DigestSettings.agency_id, DigestSettings.org_id)))


def report_for(session: Session, org_id: int, report_id: int) -> Report | None:
    """The published report a monthly digest carries (None when it is not one of the organisation's)."""
    return session.scalar(select(Report).where(Report.org_id == org_id, Report.id == report_id,
                                               Report.status == PUBLISHED))


REPORT_LINK_DAYS = 90      # an extra address's link to the report (no account to sign in with) lasts this long


def _report_link(session: Session, org: Organisation, report: Report, person: Recipient) -> str:
    """A client user opens the report signed in; an extra address gets its own share link (names hidden)."""
    base = base_url()
    if person.client:
        agency = session.get(Agency, org.agency_id)
        return f"{base}/{agency.slug}/{org.slug}/reports/{report.public_id}"
    _link, token = report_links.create(session, report, Actor(), expires_days=REPORT_LINK_DAYS,
                                       label=f"digest {person.email}")
    return f"{base}/r/{token}"
