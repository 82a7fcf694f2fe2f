"""The month calendar: weeks × days from the locale's first weekday, each event on the days it spans in its own
time zone (a 19:00 meet-up in Vladivostok is on its own day there, whatever UTC says). Phones get the same
days as a list (the stylesheet switches)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from babel.dates import format_skeleton, get_day_names
from flask import abort, g, request
from flask_babel import get_locale

from tenants.core.base import utcnow
from tenants.core.db import db
from tenants.events import events
from tenants.events.models import Event

from ..htmx import page
from ..tenancy import org_view
from . import bp
from .display import local

MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass
class Day:
    day: date
    in_month: bool
    today: bool
    events: list[Event] = field(default_factory=list)


def month_of(raw: str | None, today: date) -> date:
    """?month=YYYY-MM (2000-2199), this month when absent; anything else is 400."""
    if not raw:
        return today.replace(day=1)
    match = MONTH.fullmatch(raw)
    if not match or not 2000 <= int(match[1]) <= 2199 or not 1 <= int(match[2]) <= 12:
        abort(400, description="month must be YYYY-MM between 2000 and 2199")
    return date(int(match[1]), int(match[2]), 1)


def shift(month: date, months: int) -> date:
    n = month.year * 12 + month.month - 1 + months
    return date(n // 12, n % 12 + 1, 1)


def weeks(month: date, found: list[Event], first_weekday: int, today: date) -> list[list[Day]]:
    """The grid: whole weeks covering the month; each event on every local day from its start to its end."""
    start = month - timedelta(days=(month.weekday() - first_weekday) % 7)
    after = shift(month, 1)
    end = after + timedelta(days=(first_weekday - after.weekday()) % 7)
    days = {start + timedelta(days=i): Day(start + timedelta(days=i), (start + timedelta(days=i)).month ==
                                           month.month, start + timedelta(days=i) == today)
            for i in range((end - start).days)}
    for event in found:
        ends = local(event, event.ends_at)
        first, last = local(event, event.starts_at).date(), ends.date()
        if last > first and (ends.hour, ends.minute) == (0, 0):
            last -= timedelta(days=1)       # ends at midnight: not on the next day
        d = max(first, start)
        while d <= min(last, end - timedelta(days=1)):
            days[d].events.append(event)
            d += timedelta(days=1)
    ordered = list(days.values())
    return [ordered[i:i + 7] for i in range(0, len(ordered), 7)]


@bp.route("/calendar")
@org_view()
def calendar():
    locale = get_locale()
    today = utcnow().date()
    month = month_of(request.args.get("month"), today)
    first_weekday = locale.first_week_day
    names = get_day_names("abbreviated", locale=locale)
    grid = weeks(month, events.in_month(db, g.org.id, month), first_weekday, today)
    busy = any(d.events for week in grid for d in week if d.in_month)
    return page("events/calendar.html", "content", month=month, title=format_skeleton("yMMMM", month, locale=locale),
                weeks=grid, busy=busy,
                day_names=[names[(first_weekday + i) % 7] for i in range(7)],
                previous=shift(month, -1).strftime("%Y-%m"), next=shift(month, 1).strftime("%Y-%m"),
                this_month=today.strftime("%Y-%m"), can_edit=not g.membership.is_client)
