"""Outgoing mail: always recorded in the outbox table, sent by SMTP only when MAIL_SERVER is set."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from sqlalchemy.orm import Session

from .config import get_settings
from .models import OutboxMail, utcnow

log = logging.getLogger("communa.mail")


def send(session: Session, to: str, subject: str, body: str) -> OutboxMail:
    """Record the mail, commit, then deliver it if SMTP is configured."""
    mail = OutboxMail(to_address=to, subject=subject, body=body)
    session.add(mail)
    session.commit()
    settings = get_settings()
    if not settings.mail_server:
        log.info("outbox: mail to %s, %r (MAIL_SERVER not set, kept in outbox)\n%s", to, subject, body)
        return mail
    try:
        _deliver(to, subject, body)
        mail.status, mail.sent_at = "sent", utcnow()
    except (OSError, smtplib.SMTPException) as exc:
        mail.status, mail.error = "failed", str(exc)[:2000]
        log.error("mail to %s failed: %s", to, exc)
    session.commit()
    return mail


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
