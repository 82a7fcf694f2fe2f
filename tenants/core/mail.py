"""Outgoing mail through a transactional outbox: `send` records the mail in the caller's transaction, and only
once that transaction commits is it delivered (by SMTP when MAIL_SERVER is set; otherwise it stays in the
outbox table, which tests and the development server read). A rolled-back change sends nothing.

A mail that carries a secret link (a password reset, an invitation, a sign-up) keeps no usable copy of it at
rest: once delivered, or once the link has expired (`purge`, daily), the row keeps the body without the link.
`purge` also deletes rows older than OUTBOX_RETENTION_DAYS.

A mail may carry an HTML alternative and the images it shows inline ({content id: base64 PNG}, referenced as
`cid:<id>`): delivered as multipart/alternative, the HTML part multipart/related with its images. A mail with a
secret link drops both with the link (the HTML repeats it; an image such as a ticket's QR code encodes it).

A mail sent for an agency (a report, a digest) may carry the agency's sender name (its white label): the mail
goes from the configured address under that name."""
from __future__ import annotations

import base64
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, parseaddr

from sqlalchemy import delete, event, update
from sqlalchemy.orm import Session

from tenants.core.base import utcnow
from tenants.core.config import get_settings
from tenants.core.models import OutboxMail

log = logging.getLogger("communa.mail")
PENDING = "outbox"      # session.info key: mails recorded in the session's open transaction
LINK_REMOVED = "[link removed]"


def send(session: Session, to: str, subject: str, body: str, link: str | None = None,
         link_until: datetime | None = None, html: str | None = None, images: dict[str, str] | None = None,
         sender_name: str | None = None) -> OutboxMail:
    """Record the mail; it is delivered after the caller commits. `link` is a secret link in `body` (usable
    until `link_until`): the row drops it once the mail is delivered or the link has expired. `html` is an
    alternative of `body`; `images` the PNGs it shows inline, by content id, base64-encoded; `sender_name` the
    name the mail is sent under (else the configured sender's)."""
    sender_name = " ".join((sender_name or "").split())[:120] or None      # one line: never a header injection
    mail = OutboxMail(to_address=to, subject=subject, body=body, html=html, images=images or None,
                      sender_name=sender_name)
    if link:
        mail.safe_body, mail.secret_until = body.replace(link, LINK_REMOVED), link_until or utcnow()
    session.add(mail)
    session.flush()
    session.info.setdefault(PENDING, []).append(Pending(mail.id, to, subject, body, mail.safe_body, html, images,
                                                      sender_name))
    return mail


@dataclass(frozen=True)
class Pending:
    """A mail recorded in the open transaction, delivered once it commits."""
    id: int
    to: str
    subject: str
    body: str
    safe_body: str | None
    html: str | None = None
    images: dict[str, str] | None = None
    sender_name: str | None = None


@event.listens_for(Session, "after_commit")
def _deliver_committed(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    settings = get_settings()
    if not pending or not settings.mail_server:
        for m in pending or ():
            # Development reads its links here; production's log gets no usable link.
            shown = m.safe_body if settings.production and m.safe_body else m.body
            log.info("outbox: mail to %s, %r (MAIL_SERVER not set, kept in outbox)\n%s", m.to, m.subject, shown)
        return
    # The committed session cannot run SQL here: the delivery outcome goes through a session of its own.
    with Session(bind=session.get_bind()) as s, s.begin():
        for m in pending:
            try:
                _deliver(compose(m.to, m.subject, m.body, m.html, m.images, m.sender_name))
                values = {"status": "sent", "sent_at": utcnow()}
                if m.safe_body is not None:
                    values.update(body=m.safe_body, safe_body=None, secret_until=None, html=None, images=None)
            except (OSError, smtplib.SMTPException) as exc:
                values = {"status": "failed", "error": str(exc)[:2000]}
                log.error("mail to %s failed: %s", m.to, exc)
            s.execute(update(OutboxMail).where(OutboxMail.id == m.id).values(**values))


def purge(session: Session, retention_days: int, now: datetime | None = None) -> dict[str, int]:
    """Daily: mails whose link has expired keep only their safe body; mails older than the retention go."""
    now = now or utcnow()
    expired = session.execute(update(OutboxMail).where(OutboxMail.safe_body.is_not(None),
                                                       OutboxMail.secret_until < now)
                              .values(body=OutboxMail.safe_body, safe_body=None, secret_until=None, html=None,
                                      images=None))
    old = session.execute(delete(OutboxMail).where(OutboxMail.created_at < now - timedelta(days=retention_days)))
    return {"mail_links_expired": expired.rowcount or 0, "mails_deleted": old.rowcount or 0}


@event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)


def compose(to: str, subject: str, body: str, html: str | None = None,
            images: dict[str, str] | None = None, sender_name: str | None = None) -> EmailMessage:
    """The message as sent: plain text; with `html`, multipart/alternative whose HTML part is
    multipart/related with the inline images (Content-ID <id>, which the HTML names as cid:id). With
    `sender_name`, From is the configured address under that name."""
    msg = EmailMessage()
    sender = get_settings().mail_from
    if sender_name:
        sender = formataddr((sender_name, parseaddr(sender)[1]))
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
        html_part = msg.get_payload()[-1]
        for cid, data in (images or {}).items():
            html_part.add_related(base64.b64decode(data), maintype="image", subtype="png", cid=f"<{cid}>",
                                  disposition="inline", filename=f"{cid}.png")
    return msg


def _deliver(msg: EmailMessage) -> None:
    s = get_settings()
    smtp_cls = smtplib.SMTP_SSL if s.mail_use_ssl else smtplib.SMTP
    with smtp_cls(s.mail_server, s.mail_port, timeout=15) as smtp:
        if s.mail_use_tls and not s.mail_use_ssl:
            smtp.starttls()
        if s.mail_username:
            smtp.login(s.mail_username, s.mail_password or "")
        smtp.send_message(msg)
