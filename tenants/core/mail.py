"""Outgoing mail through a transactional outbox: `send` records the mail in the caller's transaction, and only
once that transaction commits is it delivered (by SMTP when MAIL_SERVER is set; otherwise it stays in the
outbox table, which tests and the development server read). A rolled-back change sends nothing."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from tenants.core.base import utcnow
from tenants.core.config import get_settings
from tenants.core.models import OutboxMail

log = logging.getLogger("communa.mail")
PENDING = "outbox"      # session.info key: mails recorded in the session's open transaction


def send(session: Session, to: str, subject: str, body: str) -> OutboxMail:
    """Record the mail; it is delivered after the caller commits."""
    mail = OutboxMail(to_address=to, subject=subject, body=body)
    session.add(mail)
    session.flush()
    session.info.setdefault(PENDING, []).append((mail.id, to, subject, body))
    return mail


@event.listens_for(Session, "after_commit")
def _deliver_committed(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if not pending or not get_settings().mail_server:
        for _id, to, subject, body in pending or ():
            log.info("outbox: mail to %s, %r (MAIL_SERVER not set, kept in outbox)\n%s", to, subject, body)
        return
    # The committed session cannot run SQL here: the delivery outcome goes through a session of its own.
    with Session(bind=session.get_bind()) as s, s.begin():
        for mail_id, to, subject, body in pending:
            try:
                _deliver(to, subject, body)
                values = {"status": "sent", "sent_at": utcnow()}
            except (OSError, smtplib.SMTPException) as exc:
                values = {"status": "failed", "error": str(exc)[:2000]}
                log.error("mail to %s failed: %s", to, exc)
            s.execute(update(OutboxMail).where(OutboxMail.id == mail_id).values(**values))


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
