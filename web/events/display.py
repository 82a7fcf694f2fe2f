"""Event times as people read them: in the event's own time zone, with the zone named (a meet-up in Moscow is
at 19:00 Moscow time for every reader). Template globals, so the member profile shows them too."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time
from flask import g, url_for
from flask_babel import get_locale

from tenants.events.models import Event

from ..links import mail_base_url
from . import bp


def local(event: Event, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(event.timezone))


def offset(moment: datetime) -> str:
    """UTC+3, UTC−3:30, UTC (an aware local time's offset)."""
    minutes = int(moment.utcoffset().total_seconds() // 60)
    if not minutes:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "−"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


@bp.app_template_global("event_day")
def event_day(event: Event) -> str:
    """The start's day: "Thu, 12 Jun 2025" (in the reader's language)."""
    return format_skeleton("yMMMEd", local(event, event.starts_at), locale=get_locale())


@bp.app_template_global("event_hours")
def event_hours(event: Event) -> str:
    """"19:00–21:00", or with the end's day when the event runs past midnight."""
    start, end = local(event, event.starts_at), local(event, event.ends_at)
    first = format_time(start, "short", locale=get_locale())
    last = format_time(end, "short", locale=get_locale())
    if start.date() != end.date():
        last = f"{format_skeleton('MMMEd', end, locale=get_locale())} {last}"
    return f"{first}–{last}"


@bp.app_template_global("event_zone")
def event_zone(event: Event) -> str:
    """"Europe/Moscow, UTC+3" at the event's start."""
    return f"{event.timezone}, {offset(local(event, event.starts_at))}"


@bp.app_template_global("event_when")
def event_when(event: Event) -> str:
    return f"{event_day(event)}, {event_hours(event)} ({event_zone(event)})"


def public_link(event: Event) -> str:
    """The shareable registration page's address, on the public URL (as links in mails are)."""
    return f"{mail_base_url().rstrip('/')}/e/{event.form_token}"


def checkin_path(event: Event) -> str:
    return url("checkin.index", event_id=event.public_id)


def report_path(event: Event) -> str:
    return url("events.report", event_id=event.public_id)


def url(endpoint: str, **values) -> str:
    return url_for(endpoint, agency_slug=g.agency.slug, org_slug=g.org.slug, **values)


@bp.app_template_global("event_month")
def event_month(event: Event) -> str:
    """The start's month, short ("Jun", "июн."), for the date tile."""
    return format_skeleton("MMM", local(event, event.starts_at), locale=get_locale())


@bp.app_template_global("event_daynum")
def event_daynum(event: Event) -> str:
    return str(local(event, event.starts_at).day)


@bp.app_template_global("event_moment")
def event_moment(event: Event, moment: datetime | None) -> str:
    """A moment of the event's life (a registration, a check-in) as short date and time in the event's zone."""
    if moment is None:
        return ""
    at = local(event, moment)
    return f"{format_skeleton('MMMd', at, locale=get_locale())} {format_time(at, 'short', locale=get_locale())}"


@bp.app_template_global("event_clock")
def event_clock(event: Event, moment: datetime | None) -> str:
    """A check-in's moment: the time alone on the event's own day (in its zone), else the date and time."""
    if moment is None:
        return ""
    at = local(event, moment)
    if at.date() != local(event, event.starts_at).date():
        return event_moment(event, moment)
    return format_time(at, "short", locale=get_locale())
