"""The event page: head counts, the registrations (status filter and search), manual registration by picking a
member, cancellation (a promotion from the waitlist is mailed to the promoted member), the registration log, and
the public registration link (copy, a new link, open or close registration)."""
from __future__ import annotations

from flask import abort, g, request
from flask_babel import gettext as _

from tenants.community import members
from tenants.core.db import db
from tenants.core.sql import storable
from tenants.events import counts, events, notify, registrations
from tenants.events.events import EventError
from tenants.events.models import REGISTRATION_STATUSES, Event

from ..htmx import fragment, page
from ..labels import domain_message
from ..tenancy import actor, org_view
from . import bp
from .display import checkin_path, public_link, report_path
from .views import by_public_id

# The event page's parts an htmx request may swap alone: the registrations table (filter, search) and the
# member search of manual registration.
PARTS = ("registrations",)
SEARCH_LIMIT = 8


def _filters() -> tuple[str | None, str]:
    status = request.values.get("status")
    q = (request.values.get("q") or "").strip()[:200]
    return (status if status in REGISTRATION_STATUSES else None), (q if storable(q) else "")


def _context(event: Event, **extra) -> dict:
    status, q = _filters()
    staff = not g.membership.is_client
    return {"event": event, "counts": counts.of_event(db, event.id), "roles": events.roles(db, event),
            "series": events.series_name(db, event), "rows": registrations.listing(db, event, status, q),
            "shown": status, "q": q, "statuses": REGISTRATION_STATUSES, "staff": staff,
            "log": registrations.log_rows(db, event) if staff else [],
            "link": public_link(event), "checkin": checkin_path(event), "report": report_path(event),
            "notice": None, "error": None, **extra}


@bp.route("/<event_id>")
@org_view()
def show(event_id: str):
    return page("events/show.html", "content", fragments=PARTS, **_context(by_public_id(event_id)))


@bp.route("/<event_id>/members")
@org_view(write=True)
def search(event_id: str):
    """Members to register by hand: the search under "Add a registration"."""
    event = by_public_id(event_id)
    q = (request.args.get("q") or "").strip()[:200]
    found = registrations.candidates(db, event, q, SEARCH_LIMIT) if storable(q) else []
    return fragment("events/show.html", "candidates", event=event, found=found, q=q)


def _after(event: Event, status: int = 200, **extra):
    return page("events/show.html", "content", status=status, **_context(event, **extra))


@bp.route("/<event_id>/registrations", methods=["POST"])
@org_view(write=True)
def register(event_id: str):
    event = by_public_id(event_id)
    m = members.by_public_id(db, request.form.get("member", "")) if storable(request.form.get("member", "")) else None
    if m is None or m.org_id != g.org.id:
        abort(404)
    try:
        reg, created = registrations.register(db, event, m.id, "manual", actor())
    except EventError as exc:
        db.rollback()
        return _after(by_public_id(event_id), 422, error=domain_message(exc.template, exc.params))
    if created:
        registrations.audit_change(db, event, m, reg.status, actor())
    db.commit()
    if not created:
        notice = _("%(name)s is already registered.", name=m.display_name)
    elif reg.status == "waitlisted":
        notice = _("%(name)s is on the waitlist: the event is full.", name=m.display_name)
    else:
        notice = _("%(name)s is registered.", name=m.display_name)
    return _after(event, notice=notice)


@bp.route("/<event_id>/registrations/<registration_id>/cancel", methods=["POST"])
@org_view(write=True)
def cancel(event_id: str, registration_id: str):
    event = by_public_id(event_id)
    reg = registrations.by_public_id(db, event, registration_id)
    if reg is None:
        abort(404)
    m = db.get(members.Member, reg.member_id)
    try:
        promoted = registrations.cancel(db, reg, event, actor())
    except EventError as exc:
        db.rollback()
        return _after(by_public_id(event_id), 422, error=domain_message(exc.template, exc.params))
    registrations.audit_change(db, event, m, "cancelled", actor())
    notice = _("%(name)s's registration is cancelled.", name=m.display_name)
    if promoted is not None:
        notify.promoted(db, event, promoted)        # the promoted member's mail, sent once this commits
        first = db.get(members.Member, promoted.member_id)
        notice += " " + _("%(name)s took the place from the waitlist and is told by email.", name=first.display_name)
    db.commit()
    return _after(event, notice=notice)


@bp.route("/<event_id>/link", methods=["POST"])
@org_view(write=True)
def new_link(event_id: str):
    """A new public registration link: the old one stops working."""
    event = by_public_id(event_id)
    events.new_form_token(db, event)
    db.commit()
    return _after(event, notice=_("A new registration link is ready; the old one no longer works."))


@bp.route("/<event_id>/open", methods=["POST"])
@org_view(write=True)
def open_close(event_id: str):
    """Open or close the public registration page (registrations by staff, import and API go on)."""
    event = by_public_id(event_id)
    events.update(db, event, {"registration_open": request.form.get("open") == "1"}, actor())
    db.commit()
    notice = _("Registration is open.") if event.registration_open else _("Registration is closed.")
    return _after(event, notice=notice)
