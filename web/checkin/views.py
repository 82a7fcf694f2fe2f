"""The check-in page and its fragments. Every action answers the outcome panel and fires `checkin-changed`,
on which the counts, the guest results and the arrivals reload themselves."""
from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import abort, g, request, url_for
from flask_babel import get_locale
from jinja2_fragments.flask import render_block

from tenants.core.db import db
from tenants.events import counts, door, events
from tenants.events.events import EventError
from tenants.events.models import Event

from ..htmx import fragment, page, respond, swaps, wants_fragment
from ..labels import domain_message
from ..tenancy import actor, org_view
from . import bp

TEMPLATE = "checkin/index.html"
CHANGED = {"checkin-changed": True}


def _event(event_id: str) -> Event:
    e = events.by_public_id(db, g.org.id, event_id) if len(event_id) <= 16 else None
    if e is None:
        abort(404)
    return e


def _clock(e: Event):
    """A time of day in the event's own zone, as the reader's language writes it (19:02, 7:02 PM)."""
    zone = ZoneInfo(e.timezone)
    return lambda value: format_time(value.astimezone(zone), "short", tzinfo=zone, locale=get_locale()) \
        if isinstance(value, datetime) else ""


def _when(e: Event) -> str:
    """The day, the hours and the place, as the guests' tickets say them (in the event's zone)."""
    zone, clock = ZoneInfo(e.timezone), _clock(e)
    day = format_date(e.starts_at.astimezone(zone), "medium", locale=get_locale())
    return " · ".join(part for part in (day, f"{clock(e.starts_at)}–{clock(e.ends_at)}", e.location) if part)


def _back(e: Event) -> str:
    return url_for("events.show", agency_slug=g.agency.slug, org_slug=g.org.slug, event_id=e.public_id)


def _results(e: Event) -> dict:
    q = request.args.get("q", "")[:200]
    if q.strip():
        return {"q": q, "results": door.search(db, e, q), "expected_total": None}
    guests, total = door.guest_list(db, e)
    return {"q": q, "results": guests, "expected_total": total}


def _base(e: Event) -> dict:
    return {"event": e, "at": _clock(e)}


def _walkin(**extra) -> dict:
    return {"walkin_key": secrets.token_urlsafe(16), "walkin_error": None, "walkin_field": None,
            "walkin_name": "", "walkin_email": "", "walkin_open": False, **extra}


def _context(e: Event, **extra) -> dict:
    return {**_base(e), "counts": counts.of_event(db, e.id), "arrived": door.arrivals(db, e), "back": _back(e),
            "when": _when(e), **_results(e), **_walkin(), "arrival": None, "note": None, **extra}


@bp.route("/")
@org_view(write=True)
def index(event_id: str):
    e = _event(event_id)
    if swaps("results"):
        return fragment(TEMPLATE, "results", **_base(e), **_results(e))
    return page(TEMPLATE, "content", **_context(e))


@bp.route("/counts")
@org_view(write=True)
def live_counts(event_id: str):
    e = _event(event_id)
    return fragment(TEMPLATE, "counts", **_base(e), counts=counts.of_event(db, e.id))


@bp.route("/arrived")
@org_view(write=True)
def arrived(event_id: str):
    e = _event(event_id)
    return fragment(TEMPLATE, "arrived", **_base(e), arrived=door.arrivals(db, e))


def _answer(e: Event, status: int = 200, changed: bool = False, **extra):
    """The outcome panel for htmx; the whole page with it otherwise (the forms work without script too)."""
    if wants_fragment():
        return fragment(TEMPLATE, "outcome", status, trigger=CHANGED if changed else None, **_base(e),
                        **{"arrival": None, "note": None, **extra})
    return page(TEMPLATE, "content", status, **_context(e, **extra))


def _arrived(e: Event, arrival: door.Arrival, extra_body: str = ""):
    db.commit()
    if extra_body and wants_fragment():
        body = render_block(TEMPLATE, "outcome", **_base(e), arrival=arrival, note=None) + extra_body
        return respond(body, 200, trigger=CHANGED if arrival.counted else None)
    return _answer(e, 200 if arrival.outcome not in ("unknown", "other_event") else 422,
                   changed=arrival.counted, arrival=arrival)


def _refused(e: Event, exc: EventError):
    db.rollback()
    return _answer(e, 422, note={"kind": "error", "text": domain_message(exc.template, exc.params)})


@bp.route("/ticket", methods=["POST"])
@org_view(write=True)
def ticket(event_id: str):
    """A scanned QR code (the ticket, or a ticket link) or a typed ticket."""
    e = _event(event_id)
    try:
        arrival = door.by_ticket(db, e, request.form.get("ticket", ""), actor())
    except EventError as exc:
        return _refused(e, exc)
    return _arrived(e, arrival)


@bp.route("/members/<member_id>", methods=["POST"])
@org_view(write=True)
def member(event_id: str, member_id: str):
    """A registrant found by search, or any other member of the organisation (a walk-in)."""
    e = _event(event_id)
    m = door.member_of(db, e, member_id)
    if m is None:
        abort(404)
    try:
        arrival = door.by_member(db, e, m, actor())
    except EventError as exc:
        return _refused(e, exc)
    return _arrived(e, arrival)


@bp.route("/walk-in", methods=["POST"])
@org_view(write=True)
def walk_in(event_id: str):
    """Someone who is not a member yet (or whose email finds one): added and checked in as a walk-in."""
    e = _event(event_id)
    name, email = request.form.get("name", ""), request.form.get("email", "")
    try:
        arrival = door.new_person(db, e, name, email, request.form.get("key", ""), actor())
    except EventError as exc:
        db.rollback()
        form = _walkin(walkin_error=domain_message(exc.template, exc.params), walkin_field=exc.field,
                       walkin_name=name[:300], walkin_email=email[:300], walkin_open=True,
                       walkin_key=request.form.get("key", "")[:43])
        if wants_fragment():
            return respond(render_block(TEMPLATE, "walkin", **_base(e), **form), 422, retarget="#walkin",
                           reswap="outerHTML")
        return page(TEMPLATE, "content", 422, **_context(e, **form))
    fresh = render_block(TEMPLATE, "walkin", **_base(e), **_walkin(), oob=True)
    return _arrived(e, arrival, extra_body=fresh)


@bp.route("/undo/<registration_id>", methods=["POST"])
@org_view(write=True)
def undo(event_id: str, registration_id: str):
    e = _event(event_id)
    reg = door.registration_of(db, e, registration_id)
    if reg is None:
        abort(404)
    member = door.undo(db, e, reg, actor())
    db.commit()
    if member is None:
        return _answer(e, note={"kind": "not_in"})
    return _answer(e, changed=True, note={"kind": "undone", "member": member})
