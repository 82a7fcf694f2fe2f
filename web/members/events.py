"""The member profile's Events section: the member's registrations (status, attended) and attendance rate, and
registering them for an upcoming event by hand."""
from __future__ import annotations

from flask import abort, g, request
from flask_babel import gettext as _

from tenants.community import members
from tenants.community.models import Member
from tenants.core.db import db
from tenants.core.sql import storable
from tenants.events import events, registrations
from tenants.events.events import EventError

from ..htmx import fragment
from ..labels import domain_message
from ..tenancy import actor, org_view
from . import bp


def context(m: Member, **extra) -> dict:
    """What the section shows: the registrations newest event first, the attendance, the events to add."""
    rows = registrations.of_member(db, m.id)
    taken = {e.id for r, e in rows if r.status != "cancelled"}
    return {"event_rows": rows, "attendance": registrations.attendance(rows),
            "open_events": [e for e in events.upcoming(db, g.org.id, limit=50) if e.id not in taken],
            "events_notice": None, "events_error": None, **extra}


@bp.route("/<member_id>/events", methods=["POST"])
@org_view(write=True)
def register_for_event(member_id: str):
    m = members.by_public_id(db, member_id)
    if m is None or m.org_id != g.org.id:
        abort(404)
    raw = request.form.get("event", "")
    event = events.by_public_id(db, g.org.id, raw) if storable(raw) else None
    if event is None:
        abort(404)
    try:
        reg, created = registrations.register(db, event, m.id, "manual", actor())
    except EventError as exc:
        db.rollback()
        return fragment("members/show.html", "events", status=422, m=m,
                        **context(m, events_error=domain_message(exc.template, exc.params)))
    if created:
        registrations.audit_change(db, event, m, reg.status, actor())
    db.commit()
    notice = _("Put on the waitlist of %(title)s.", title=event.title) if reg.status == "waitlisted" \
        else _("Registered for %(title)s.", title=event.title)
    return fragment("members/show.html", "events", m=m, **context(m, events_notice=notice))
