"""The mails an event sends to its people: the ticket (or the waitlist notice), the promotion from the waitlist
and the post-event survey. Each is plain text with an HTML alternative; a ticket carries its QR code as an
inline PNG. All go through the outbox (`core.mail.send`) in the caller's transaction.

Language: a registration made on the public form keeps the page's language in `answers["lang"]`; its mails are
in that language (English or Russian), every other registration's in English. Links start from PUBLIC_URL; the
paths are the public pages' (web/public_events serves them at exactly these)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from tenants.agency.models import Organisation
from tenants.community.models import Member
from tenants.core import mail
from tenants.core.i18n import LANGUAGES, base_url, translations
from tenants.core.models import OutboxMail
from tenants.events import qr
from tenants.events.models import Event, Registration

FORM_PATH, TICKET_PATH, SURVEY_PATH = "/e/{}", "/t/{}", "/s/{}"
QR_CID = "ticket-qr"
TICKET_LINK_FOR = timedelta(days=1)      # a ticket mail's link is kept at rest until a day after the event
SURVEY_OPEN_FOR = timedelta(days=30)     # a survey link answers this long after it was sent


def language(reg: Registration) -> str:
    lang = (reg.answers or {}).get("lang")
    return lang if lang in LANGUAGES else "en"


def link(path: str, token: str) -> str:
    return base_url() + path.format(token)


def when(event: Event, lang: str) -> str:
    """The event's time in its own zone: "Thursday 11 June 2026, 19:00–21:00 (Europe/Moscow)"."""
    tz = ZoneInfo(event.timezone)
    starts, ends = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz)
    text = format_datetime(starts, "EEEE d MMMM y, HH:mm", tzinfo=tz, locale=lang)
    if ends.date() == starts.date():
        text += "–" + format_time(ends, "HH:mm", tzinfo=tz, locale=lang)
    else:
        text += " – " + format_datetime(ends, "d MMMM y, HH:mm", tzinfo=tz, locale=lang)
    return f"{text} ({event.timezone})"


@dataclass
class Letter:
    subject: str
    paragraphs: list[str]                      # plain text, each a paragraph
    button: tuple[str, str] | None = None      # (label, url)
    qr_ticket: str | None = None               # the ticket whose QR code the mail shows


def _details(event: Event, lang: str, with_link: bool = True) -> list[str]:
    """When and where; the online link only to those with a place (the form page does not show it either)."""
    _ = translations(lang).gettext
    lines = [_("When: %(when)s") % {"when": when(event, lang)}]
    if event.location and event.format != "online":
        lines.append(_("Where: %(place)s") % {"place": event.location})
    if event.url and event.format != "offline" and with_link:
        lines.append(_("Online: %(url)s") % {"url": event.url})
    return ["\n".join(lines)]


def _render(letter: Letter, org_name: str) -> tuple[str, str]:
    """(plain text, HTML) of a letter, signed by the organisation."""
    plain = list(letter.paragraphs)
    if letter.button:
        plain.append(f"{letter.button[0]}: {letter.button[1]}")
    plain.append(org_name)
    parts = [Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in p.split("\n")))
             for p in letter.paragraphs]
    if letter.qr_ticket:
        parts.append(Markup('<p><img src="cid:{}" width="232" height="232" alt="{}"></p>'
                            '<p style="font-family:monospace;font-size:13px;color:#555">{}</p>')
                     .format(QR_CID, letter.qr_ticket, letter.qr_ticket))
    if letter.button:
        parts.append(Markup('<p><a href="{}" style="display:inline-block;padding:10px 18px;background:#4f46e5;'
                            'color:#fff;border-radius:8px;text-decoration:none;font-weight:600">{}</a></p>')
                     .format(letter.button[1], letter.button[0]))
    parts.append(Markup('<p style="color:#6b7185">{}</p>').format(org_name))
    html = Markup('<!doctype html><html><body style="font-family:Segoe UI,Arial,sans-serif;font-size:15px;'
                  'line-height:1.5;color:#1c2033;max-width:560px">{}</body></html>').format(Markup("").join(parts))
    return "\n\n".join(plain) + "\n", str(html)


def _send(session: Session, event: Event, member: Member, letter: Letter, secret: str,
          until: datetime) -> OutboxMail:
    org = session.get(Organisation, event.org_id)
    plain, html = _render(letter, org.name if org else "")
    images = {QR_CID: qr.png_base64(letter.qr_ticket)} if letter.qr_ticket else None
    return mail.send(session, member.email, letter.subject, plain, link=secret, link_until=until, html=html,
                     images=images)


def ticket(session: Session, event: Event, registration: Registration, member: Member) -> OutboxMail | None:
    """The ticket with its QR code, or (waitlisted) the notice that they are on the waitlist. None when the member
    has no email address (registered by hand or through the API)."""
    if not member.email or registration.status == "cancelled":
        return None
    lang = language(registration)
    _ = translations(lang).gettext
    url = link(TICKET_PATH, registration.ticket)
    hello = _("Hello %(name)s,") % {"name": member.display_name or member.email}
    if registration.status == "waitlisted":
        letter = Letter(_("You are on the waitlist: %(title)s") % {"title": event.title}, [
            hello, _("%(title)s is full, so you are on the waitlist. If a place opens up we will write to you "
                     "with your ticket.") % {"title": event.title}, *_details(event, lang, with_link=False)],
            (_("Your registration"), url))
    else:
        letter = _ticket_letter(_, event, lang, registration, url, _("Your ticket: %(title)s"),
                                [hello, _("You are registered for %(title)s.") % {"title": event.title}])
    return _send(session, event, member, letter, url, event.ends_at + TICKET_LINK_FOR)


def _ticket_letter(_, event: Event, lang: str, registration: Registration, url: str, subject: str,
                   opening: list[str]) -> Letter:
    """A letter that carries the ticket: the opening lines, the event's details, the QR code and its link."""
    return Letter(subject % {"title": event.title}, [
        *opening, *_details(event, lang),
        _("Show this QR code at the entrance. Cannot come? Cancel on the ticket page so that someone else can "
          "take your place.")], (_("Open your ticket"), url), registration.ticket)


def promoted(session: Session, event: Event, registration: Registration) -> OutboxMail | None:
    """Tell a member promoted from the waitlist that the place is theirs, with the ticket (the promotion itself is
    logged by `registrations.promote`)."""
    member = session.get(Member, registration.member_id)
    if member is None or not member.email or registration.status != "registered":
        return None
    lang = language(registration)
    _ = translations(lang).gettext
    url = link(TICKET_PATH, registration.ticket)
    letter = _ticket_letter(_, event, lang, registration, url, _("A place opened up: %(title)s"), [
        _("Hello %(name)s,") % {"name": member.display_name or member.email},
        _("Good news: a place opened up at %(title)s and it is yours now.") % {"title": event.title}])
    return _send(session, event, member, letter, url, event.ends_at + TICKET_LINK_FOR)


def survey(session: Session, event: Event, registration: Registration, member: Member) -> OutboxMail | None:
    """The post-event question, with the registration's survey link."""
    if not member.email or not registration.survey_token:
        return None
    lang = language(registration)
    _ = translations(lang).gettext
    url = link(SURVEY_PATH, registration.survey_token)
    letter = Letter(_("How was %(title)s?") % {"title": event.title}, [
        _("Hello %(name)s,") % {"name": member.display_name or member.email},
        _("Thank you for coming to %(title)s. One question, half a minute: how likely are you to recommend our "
          "events to a friend or colleague?") % {"title": event.title}], (_("Answer the question"), url))
    return _send(session, event, member, letter, url, (registration.survey_sent_at or event.ends_at)
                 + SURVEY_OPEN_FOR)
