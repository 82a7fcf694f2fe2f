"""The API's leader routes: list, add, change status, candidates. Same conventions as the members routes
(bearer key, JSON errors, ids are public ids)."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import g, jsonify

from tenants.community import members
from tenants.core.db import db
from tenants.core.sql import storable
from tenants.leaders import candidates, leaders
from tenants.leaders.leaders import LeaderError
from tenants.leaders.models import LEADER_KINDS, LEADER_STATUSES, Leader

from ..labels import candidate_reasons
from . import bp
from .views import _require, error, json_object, key_actor

WRITE_FIELDS = {"member_id", "status", "kind", "internal", "topics", "channels", "note"}


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _objects(rows: list[Leader]) -> list[dict]:
    member_rows = leaders.members_of(db, rows)
    identities, tags = members.details(db, list(member_rows))
    return [{"id": r.public_id, "status": r.status, "kind": r.kind, "internal": r.internal, "topics": r.topics,
             "channels": r.channels, "since": iso(r.since), "status_changed_at": iso(r.status_changed_at),
             "member": members.as_dict(member_rows[r.member_id], identities.get(r.member_id, []),
                                       tags.get(r.member_id, []))}
            for r in rows if r.member_id in member_rows]


def _invalid(body: dict) -> str | None:
    """What is wrong with a leader body's types, or None (values are checked by the service)."""
    if set(body) - WRITE_FIELDS:
        return f"unknown field: {sorted(set(body) - WRITE_FIELDS)[0]}"
    if body.get("status") not in LEADER_STATUSES:
        return f"status must be one of {', '.join(LEADER_STATUSES)}"
    if "kind" in body and body["kind"] not in LEADER_KINDS:
        return f"kind must be one of {', '.join(LEADER_KINDS)}"
    if "internal" in body and not isinstance(body["internal"], bool):
        return "internal must be true or false"
    for name in ("topics", "channels"):
        if name in body and not (isinstance(body[name], list) and all(isinstance(v, str) for v in body[name])):
            return f"{name} must be a list of strings"
    if "note" in body and not isinstance(body["note"], str):
        return "note must be a string"
    return None


@bp.route("/leaders")
def list_leaders():
    _require("members:read")
    return jsonify({"leaders": _objects([r.leader for r in leaders.listing(db, g.api_key.org_id)])})


@bp.route("/leaders", methods=["POST"])
def add_leader():
    _require("leaders:write")
    body = json_object()
    if body is None:
        return error(400, 'body must be a JSON object: {"member_id": "...", "status": "..."}')
    if not isinstance(body.get("member_id"), str) or not storable(body["member_id"]):
        return error(422, "member_id must be a member's id")
    problem = _invalid(body)
    if problem:
        return error(422, problem)
    m = members.by_public_id(db, body["member_id"])
    if m is None or m.org_id != g.api_key.org_id or m.merged_into_id is not None:
        return error(422, "unknown member_id: no such member in this organisation")
    if leaders.of_members(db, [m.id]):
        return error(409, "this member is already a leader")
    try:
        leader = leaders.add(db, m, body["status"], key_actor(), kind=body.get("kind", "ambassador"),
                             internal=body.get("internal", False), topics=body.get("topics"),
                             channels=body.get("channels"), note=body.get("note", ""))
    except LeaderError as exc:
        db.rollback()
        return error(422, str(exc))
    db.commit()
    return jsonify(_objects([leader])[0]), 201


@bp.route("/leaders/<leader_id>", methods=["PATCH"])
def change_leader(leader_id: str):
    _require("leaders:write")
    leader = leaders.by_public_id(db, leader_id)
    if leader is None or leader.org_id != g.api_key.org_id:
        return error(404, "not found")
    body = json_object()
    if body is None:
        return error(400, 'body must be a JSON object: {"status": "...", "note": "..."}')
    problem = _invalid(body) or (f"unknown field: {sorted(set(body) - {'status', 'note'})[0]}"
                                 if set(body) - {"status", "note"} else None)
    if problem:
        return error(422, problem)
    try:
        leaders.set_status(db, leader, body["status"], body.get("note", ""), key_actor())
    except LeaderError as exc:
        db.rollback()
        return error(422, str(exc))
    db.commit()
    return jsonify(_objects([leader])[0])


@bp.route("/leaders/candidates")
def list_candidates():
    _require("members:read")
    found = candidates.listing(db, g.api_key.org_id)
    identities, tags = members.details(db, [c.member.id for c in found])
    return jsonify({"candidates": [
        {"member": members.as_dict(c.member, identities.get(c.member.id, []), tags.get(c.member.id, [])),
         "reasons": candidate_reasons(c), "influence": round(c.influence, 2), "reach": c.followers,
         "answered_by": c.answered_by, "reached": c.reached, "posts": c.posts} for c in found]})
