"""Segments over the API: list, create, read, edit, delete, their members (paged), static members added and
removed, and a rule's size before saving. Reading needs members:read; changes need segments:write."""
from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from tenants.community import members
from tenants.community.models import Member
from tenants.core.db import db
from tenants.segments import service
from tenants.segments.models import Segment
from tenants.segments.service import SegmentError

from ..params import integer
from . import bp
from .openapi import MAX_LIMIT
from .views import _require, error, json_object, key_actor


def _refused(exc: SegmentError):
    db.rollback()
    return error(422, exc.message, path=exc.path,
                 errors=[{"path": path, "error": message} for path, message in exc.problems])


def _segment(segment_id: str) -> Segment | None:
    return service.by_public_id(db, g.api_key.org_id, segment_id)


def as_dict(segment: Segment, size: int | None = None) -> dict:
    return {"id": segment.public_id, "name": segment.name, "description": segment.description,
            "colour": segment.colour, "kind": segment.kind, "rules": segment.rules, "version": segment.version,
            "size": service.size(db, segment) if size is None else size,
            "created_at": members.iso(segment.created_at), "updated_at": members.iso(segment.updated_at)}


@bp.route("/segments")
def list_segments():
    _require("members:read")
    return jsonify({"segments": [as_dict(s) for s in service.of_org(db, g.api_key.org_id)]})


@bp.route("/segments", methods=["POST"])
def create_segment():
    _require("segments:write")
    body = json_object()
    if body is None:
        return error(400, 'body must be a JSON object: {"name", "kind", "rules"}')
    try:
        segment = service.create(db, g.api_key.org_id, body, key_actor())
    except SegmentError as exc:
        return _refused(exc)
    db.commit()
    return jsonify(as_dict(segment)), 201


@bp.route("/segments/preview", methods=["POST"])
def preview():
    _require("members:read")
    body = json_object()
    if body is None or "rules" not in body:
        return error(400, 'body must be a JSON object: {"rules": ...}')
    try:
        stmt = service.rule_statement(db, g.api_key.org_id, body["rules"])
    except SegmentError as exc:
        return _refused(exc)
    return jsonify({"size": service.count(db, stmt)})


@bp.route("/segments/<segment_id>")
def get_segment(segment_id: str):
    _require("members:read")
    segment = _segment(segment_id)
    return jsonify(as_dict(segment)) if segment else error(404, "not found")


@bp.route("/segments/<segment_id>", methods=["PATCH"])
def patch_segment(segment_id: str):
    _require("segments:write")
    segment, body = _segment(segment_id), json_object()
    if segment is None:
        return error(404, "not found")
    if body is None:
        return error(400, "body must be a JSON object")
    try:
        service.update_segment(db, segment, body, key_actor())
    except SegmentError as exc:
        return _refused(exc)
    db.commit()
    return jsonify(as_dict(segment))


@bp.route("/segments/<segment_id>", methods=["DELETE"])
def delete_segment(segment_id: str):
    _require("segments:write")
    segment = _segment(segment_id)
    if segment is None:
        return error(404, "not found")
    try:
        service.delete_segment(db, segment, key_actor())
    except SegmentError as exc:
        db.rollback()
        return error(409, exc.message)
    db.commit()
    return "", 204


@bp.route("/segments/<segment_id>/members")
def segment_members(segment_id: str):
    _require("members:read")
    segment = _segment(segment_id)
    if segment is None:
        return error(404, "not found")
    limit = integer("limit", 100, 1, MAX_LIMIT)
    cursor = request.args.get("cursor")     # absent: the first page; given (even empty), it must be valid
    if cursor is not None and members.decode_cursor(cursor, "name") is None:
        return error(400, "cursor is not valid")
    page = members.page(db, service.statement(db, segment), "name", limit, cursor)
    return jsonify({"members": [members.as_dict(m, page.identities.get(m.id, []), page.tags.get(m.id, []))
                                for m in page.members],
                    "next_cursor": page.next_cursor})


@bp.route("/segments/<segment_id>/members", methods=["POST", "DELETE"])
def change_members(segment_id: str):
    _require("segments:write")
    segment, body = _segment(segment_id), json_object()
    if segment is None:
        return error(404, "not found")
    ids = body.get("member_ids") if body else None
    if not isinstance(ids, list) or not all(isinstance(i, str) and 0 < len(i) <= 100 for i in ids):
        return error(400, 'body must be a JSON object: {"member_ids": ["...", ...]}')
    found = dict(db.execute(select(Member.public_id, Member.id).where(
        Member.org_id == segment.org_id, Member.public_id.in_(ids), Member.erased_at.is_(None),
        Member.merged_into_id.is_(None))).all()) if ids else {}
    unknown = [i for i in ids if i not in found]
    if unknown:
        return error(422, "no such member in this organisation", path="member_ids", member_ids=unknown[:100])
    try:
        change = service.add_members if request.method == "POST" else service.remove_members
        n = change(db, segment, list(found.values()))
    except SegmentError as exc:
        return _refused(exc)
    db.commit()
    key = "added" if request.method == "POST" else "removed"
    return jsonify({key: n, "size": service.size(db, segment)})
