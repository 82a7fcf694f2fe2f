"""Events over the API: create (idempotent by source_id), list, read, and registrations and check-ins in batches.
Reading needs members:read; writing needs events:write. An event of another organisation is not found (404)."""
from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy.exc import DBAPIError

from tenants.community.members import iso
from tenants.community.validate import ItemError, parse_time
from tenants.core.db import db
from tenants.events import batches, counts, events, paging
from tenants.events.events import EventError
from tenants.events.models import Event

from ..params import integer
from . import bp
from .openapi import MAX_LIMIT
from .views import RETRIED, _require, error, json_object, key_actor

WRITE_FIELDS = {"title", "description", "starts_at", "ends_at", "timezone", "format", "capacity", "location", "url",
                "tags", "promote_waitlist", "source_id"}


def as_dict(event: Event, c: counts.Counts) -> dict:
    """The event object: what it is, and its head counts (tenants.events.counts)."""
    return {"id": event.public_id, "title": event.title, "description": event.description, "format": event.format,
            "starts_at": iso(event.starts_at), "ends_at": iso(event.ends_at), "timezone": event.timezone,
            "location": event.location, "url": event.url, "capacity": event.capacity, "tags": event.tags,
            "promote_waitlist": event.promote_waitlist, "source_id": event.source_id,
            "created_at": iso(event.created_at), **c.as_dict()}


def _one(event: Event) -> dict:
    return as_dict(event, counts.of_event(db, event.id))


def _event(event_id: str) -> Event | None:
    return events.by_public_id(db, g.api_key.org_id, event_id)


@bp.route("/events")
def list_events():
    _require("members:read")
    when = request.args.get("when")         # absent: all; given, it must be one of WHEN (empty is not)
    if when is not None and when not in paging.WHEN:
        return error(400, f"when must be one of: {', '.join(paging.WHEN)}")
    limit = integer("limit", 100, 1, MAX_LIMIT)
    cursor = request.args.get("cursor")     # absent: the first page; given, it must be a valid cursor
    after = paging.decode(cursor) if cursor else None
    if cursor is not None and after is None:
        return error(400, "cursor is not valid")
    found = paging.page(db, g.api_key.org_id, when, limit, after)
    heads = counts.of_events(db, [e.id for e in found.events])
    return jsonify({"events": [as_dict(e, heads[e.id]) for e in found.events], "next_cursor": found.next_cursor})


@bp.route("/events", methods=["POST"])
def create_event():
    _require("events:write")
    body = json_object()
    if body is None:
        return error(400, 'body must be a JSON object: {"title", "starts_at", "ends_at", "timezone", "format"}')
    unknown = sorted(set(body) - WRITE_FIELDS)
    if unknown:
        return error(422, f"unknown field: {unknown[0]}", field=unknown[0])
    try:
        event, created = events.create(db, g.api_key.org_id, body, key_actor())
    except EventError as exc:
        db.rollback()
        return error(422, str(exc), field=exc.field)
    db.commit()
    return jsonify(_one(event)), 201 if created else 200


@bp.route("/events/<event_id>")
def get_event(event_id: str):
    _require("members:read")
    event = _event(event_id)
    return jsonify(_one(event)) if event else error(404, "not found")


def _items(body: dict | None, key: str):
    """The body's list of items, or an error response."""
    if body is None or not isinstance(body.get(key), list):
        return None, error(400, f'body must be JSON: {{"{key}": [...]}}')
    if len(body[key]) > batches.MAX_ITEMS:
        return None, error(413, f"at most {batches.MAX_ITEMS} {key} per call", limit=batches.MAX_ITEMS)
    return body[key], None


def _answer(batch: batches.Batch, parsed: list, errors: list[dict], walk_ins: bool = False):
    errors = sorted(errors + [{"index": i, "error": str(exc)} for i, exc in batch.errors], key=lambda e: e["index"])
    body = {"accepted": batch.accepted, "duplicates": batch.duplicates,
            **({"walk_ins": batch.walk_ins} if walk_ins else {}), "errors": errors}
    return jsonify(body), 200 if parsed or not errors else 422


def _applied(apply):
    """Apply a batch and commit, all in one transaction; a clash with a concurrent batch (a deadlock, a
    serialisation failure) is tried once more: applying a batch again converges."""
    for attempt in (1, 2):
        try:
            batch = apply()
            db.commit()
            return batch
        except DBAPIError as exc:
            db.rollback()
            if attempt == 2 or getattr(exc.orig, "sqlstate", None) not in RETRIED:
                raise
    raise AssertionError("unreachable")


@bp.route("/events/<event_id>/registrations", methods=["POST"])
def post_registrations(event_id: str):
    _require("events:write")
    event = _event(event_id)
    if event is None:
        return error(404, "not found")
    items, refused = _items(json_object(), "registrations")
    if refused:
        return refused
    parsed, errors = [], []
    for index, item in enumerate(items):
        try:
            parsed.append((index, batches.parse_registration(item)))
        except ItemError as exc:
            errors.append({"index": index, "error": str(exc)})
    batch = _applied(lambda: batches.register_all(db, _event(event_id), parsed, "api", key_actor()))
    if not batch.accepted and parsed and len(batch.errors) == len(parsed):
        parsed = []         # every item was refused: the answer is 422, as for a batch of invalid items
    return _answer(batch, parsed, errors)


@bp.route("/events/<event_id>/checkins", methods=["POST"])
def post_checkins(event_id: str):
    _require("events:write")
    event = _event(event_id)
    if event is None:
        return error(404, "not found")
    body = json_object()
    items, refused = _items(body, "checkins")
    if refused:
        return refused
    try:
        at = parse_time(body["at"], "at") if body.get("at") is not None else None
    except ItemError as exc:
        return error(422, str(exc))
    parsed, errors = [], []
    for index, item in enumerate(items):
        try:
            parsed.append((index, batches.parse_check_in(item, at)))
        except ItemError as exc:
            errors.append({"index": index, "error": str(exc)})
    batch = _applied(lambda: batches.check_in_all(db, _event(event_id), parsed, key_actor()))
    if not batch.accepted and parsed and len(batch.errors) == len(parsed):
        parsed = []
    return _answer(batch, parsed, errors, walk_ins=True)
