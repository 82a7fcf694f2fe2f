"""The event form: what it shows (an event's values as local date-times in its own zone, or what was typed),
and the data it sends to tenants.events.events (one check for the form, the API and imports)."""
from __future__ import annotations

from datetime import timedelta

from flask import request
from flask_babel import gettext as _

from tenants.community.models import Member
from tenants.core.base import utcnow
from tenants.events import events
from tenants.events.models import Event

from ..labels import domain_message, event_field_label
from .display import local

LOCAL = "%Y-%m-%dT%H:%M"        # <input type="datetime-local">


def blank(zone: str) -> dict:
    """A new event: next week at 19:00 for two hours, in the organisation's usual zone."""
    day = (utcnow() + timedelta(days=7)).date().isoformat()
    return {"title": "", "description": "", "format": "offline", "timezone": zone,
            "starts_at": f"{day}T19:00", "ends_at": f"{day}T21:00", "location": "", "url": "", "capacity": "",
            "promote_waitlist": True, "tags": "", "series": "", "form_fields": [], "hosts": [], "speakers": []}


def of_event(event: Event, series: str, roles: dict[str, list[Member]]) -> dict:
    return {"title": event.title, "description": event.description, "format": event.format,
            "timezone": event.timezone, "starts_at": local(event, event.starts_at).strftime(LOCAL),
            "ends_at": local(event, event.ends_at).strftime(LOCAL), "location": event.location, "url": event.url,
            "capacity": "" if event.capacity is None else str(event.capacity),
            "promote_waitlist": event.promote_waitlist, "tags": ", ".join(event.tags), "series": series,
            "form_fields": list(event.form_fields),
            "hosts": [(m.public_id, m.display_name) for m in roles["host"]],
            "speakers": [(m.public_id, m.display_name) for m in roles["speaker"]]}


def posted() -> dict:
    """What the form sent, as the form shows it again (hosts and speakers as (public id, name))."""
    f = request.form
    names = dict(zip(f.getlist("role_id"), f.getlist("role_name"), strict=False))
    return {"title": f.get("title", ""), "description": f.get("description", ""), "format": f.get("format", ""),
            "timezone": f.get("timezone", ""), "starts_at": f.get("starts_at", ""), "ends_at": f.get("ends_at", ""),
            "location": f.get("location", ""), "url": f.get("url", ""), "capacity": f.get("capacity", ""),
            "promote_waitlist": f.get("promote_waitlist") == "on", "tags": f.get("tags", ""),
            "series": f.get("series", ""), "form_fields": f.getlist("form_fields"),
            "hosts": [(p, names.get(p, p)) for p in f.getlist("hosts")],
            "speakers": [(p, names.get(p, p)) for p in f.getlist("speakers")]}


def data(values: dict) -> dict:
    """The service's input: every field, so that an edit can also clear one."""
    keys = ("title", "description", "format", "timezone", "starts_at", "ends_at", "location", "url", "capacity",
            "promote_waitlist", "tags", "series", "form_fields")
    return {k: values[k] for k in keys}


def error(exc: events.EventError) -> dict[str, str]:
    """{input name: message} for the form to show beside the input."""
    params = dict(exc.params)
    if "field" in params:
        params["field"] = event_field_label(str(params["field"]))
    field = exc.field if exc.field in FIELDS else "title"
    if exc.field in ("host", "speaker", "roles"):
        field = "roles"
    return {field: domain_message(exc.template, params)}


FIELDS = ("title", "description", "format", "timezone", "starts_at", "ends_at", "location", "url", "capacity",
          "promote_waitlist", "tags", "series", "form_fields", "roles")


def zone_choices(current: str) -> list[tuple[str, list[str]]]:
    """The time zones by region (Europe, America, …), with the current one even if it is not among them."""
    zones = events.zones()
    if current and current not in zones:
        zones = [current, *zones]
    groups: dict[str, list[str]] = {}
    for z in zones:
        groups.setdefault(z.split("/")[0] if "/" in z else _("Other"), []).append(z)
    return list(groups.items())
