"""Outgoing mail through a transactional outbox: `send` records the mail in the caller's transaction, and only
once that transaction commits is it delivered (by SMTP when MAIL_SERVER is set; otherwise it stays in the
outbox table, which tests and the development server read). A rolled-back change sends nothing.

A mail that carries a secret link (a password reset, an invitation, a sign-up) keeps no usable copy of it at
rest: once delivered, or once the link has expired (`purge`, daily), the row keeps the body without the link.
`purge` also deletes rows older than OUTBOX_RETENTION_DAYS."""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import delete, event, update
from sqlalchemy.orm import Session

from tenants.core.base import utcnow
from tenants.core.config import get_settings
from tenants.core.models import OutboxMail

log = logging.getLogger("communa.mail")
PENDING = "outbox"      # session.info key: mails recorded in the session's open transaction
LINK_REMOVED = "[link removed]"


def send(session: Session, to: str, subject: str, body: str, link: str | None = None,
         link_until: datetime | None = None) -> OutboxMail:
    """Record the mail; it is delivered after the caller commits. `link` is a secret link in `body` (usable
    until `link_until`): the row drops it once the mail is delivered or the link has expired."""
    mail = OutboxMail(to_address=to, subject=subject, body=body)
    if link:
        mail.safe_body, mail.secret_until = body.replace(link, LINK_REMOVED), link_until or utcnow()
    session.add(mail)
    session.flush()
    session.info.setdefault(PENDING, []).append((mail.id, to, subject, body, mail.safe_body))
    return mail


@event.listens_for(Session, "after_commit")
def _deliver_committed(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    settings = get_settings()
    if not pending or not settings.mail_server:
        for _id, to, subject, body, safe_body in pending or ():
            # Development reads its links here; production's log gets no usable link.
            shown = safe_body if settings.production and safe_body else body
            log.info("outbox: mail to %s, %r (MAIL_SERVER not set, kept in outbox)\n%s", to, subject, shown)
        return
    # The committed session cannot run SQL here: the delivery outcome goes through a session of its own.
    with Session(bind=session.get_bind()) as s, s.begin():
        for mail_id, to, subject, body, safe_body in pending:
            try:
                _deliver(to, subject, body)
                values = {"status": "sent", "sent_at": utcnow()}
                if safe_body is not None:
                    values.update(body=safe_body, safe_body=None, secret_until=None)
            except (OSError, smtplib.SMTPException) as exc:
                values = {"status": "failed", "error": str(exc)[:2000]}
                log.error("mail to %s failed: %s", to, exc)
            s.execute(update(OutboxMail).where(OutboxMail.id == mail_id).values(**values))


def purge(session: Session, retention_days: int, now: datetime | None = None) -> dict[str, int]:
    """Daily: mails whose link has expired keep only their safe body; mails older than the retention go."""
    now = now or utcnow()
    expired = session.execute(update(OutboxMail).where(OutboxMail.safe_body.is_not(None),
                                                       OutboxMail.secret_until < now)
                              .values(body=OutboxMail.safe_body, safe_body=None, secret_until=None))
    old = session.execute(delete(OutboxMail).where(OutboxMail.created_at < now - timedelta(days=retention_days)))
    return {"mail_links_expired": expired.rowcount or 0, "mails_deleted": old.rowcount or 0}


@event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)


def _deliver(to: str, subject: str, body: str) -> None:
    s = get_settings()
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = s.mail_from, to, subject
    msg.set_content(body)
    smtp_cls = smtplib.SMTP_SSL if s.mail_use_ssl else smtplib.SMTP
    with smtp_cls(s.mail_server, s.mail_port, timeout=15) as smtp:
        if s.mail_use_tls and not s.mail_use_ssl:
            smtp.starttls()
        if s.mail_username:
            smtp.login(s.mail_username, s.mail_password or "")
        smtp.send_message(msg)
