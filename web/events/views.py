"""Events: the list (upcoming, past), the form (new, edit) with its member picker for hosts and speakers, and
delete. The calendar is in calendar.py, the event page and its actions in event.py."""
from __future__ import annotations

from flask import abort, flash, g, request
from flask_babel import gettext as _

from tenants.core.db import db
from tenants.events import counts, events
from tenants.events.events import EventError
from tenants.events.models import EVENT_FORMATS, FORM_FIELDS, Event

from ..htmx import fragment, page
from ..htmx import redirect as htmx_redirect
from ..tenancy import actor, org_view
from . import bp, form
from .display import url

PICK_LIMIT = 8


def by_public_id(event_id: str) -> Event:
    """The organisation's event, or 404 (another organisation's event is not found either)."""
    found = events.by_public_id(db, g.org.id, event_id)
    if found is None:
        abort(404)
    return found


@bp.route("/")
@org_view()
def index():
    past = request.args.get("when") == "past"
    shown = events.past(db, g.org.id) if past else events.upcoming(db, g.org.id)
    heads = counts.of_events(db, [e.id for e in shown])
    return page("events/index.html", "content", events=shown, counts=heads, past=past,
                can_edit=not g.membership.is_client)


def _form_page(values: dict, event: Event | None = None, errors: dict | None = None, status: int = 200):
    return page("events/edit.html", "content", status=status, values=values, event=event, errors=errors or {},
                formats=EVENT_FORMATS, form_fields=FORM_FIELDS, zones=form.zone_choices(values["timezone"]),
                series_names=events.series_names(db, g.org.id))


def _save(editing: Event | None):
    values = form.posted()
    try:
        if editing is None:
            event, _created = events.create(db, g.org.id, form.data(values), actor())
        else:
            event = events.update(db, editing, form.data(values), actor())
        for role, key in (("host", "hosts"), ("speaker", "speakers")):
            events.set_roles(db, event, role, events.member_ids(db, g.org.id, [p for p, _n in values[key]]))
    except EventError as exc:
        db.rollback()
        editing = by_public_id(editing.public_id) if editing is not None else None
        return _form_page(values, editing, form.error(exc), 422)
    db.commit()
    flash(_("Event saved."), "success")
    return htmx_redirect(url("events.show", event_id=event.public_id))


@bp.route("/new", methods=["GET", "POST"])
@org_view(write=True)
def new():
    if request.method == "POST":
        return _save(None)
    return _form_page(form.blank(events.last_zone(db, g.org.id) or "UTC"))


@bp.route("/<event_id>/edit", methods=["GET", "POST"])
@org_view(write=True)
def edit(event_id: str):
    event = by_public_id(event_id)
    if request.method == "POST":
        return _save(event)
    values = form.of_event(event, events.series_name(db, event), events.roles(db, event))
    return _form_page(values, event)


@bp.route("/<event_id>/delete", methods=["POST"])
@org_view(write=True)
def delete(event_id: str):
    event = by_public_id(event_id)
    title = event.title
    events.delete_event(db, event, actor())
    db.commit()
    flash(_("%(title)s is deleted.", title=title), "info")
    return htmx_redirect(url("events.index"))


@bp.route("/pick")
@org_view(write=True)
def pick():
    """Members to pick as a host or speaker on the form (by name, email, phone or handle)."""
    q = (request.args.get("q") or "").strip()[:200]
    role = request.args.get("role") if request.args.get("role") in ("hosts", "speakers") else "hosts"
    found = events.members_matching(db, g.org.id, q, PICK_LIMIT)
    return fragment("events/edit.html", "picked", found=found, role=role, q=q)
