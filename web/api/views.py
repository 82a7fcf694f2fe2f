"""The API's routes, with its authentication (before every request), rate limit and JSON errors."""
from __future__ import annotations

from flask import abort, current_app, g, jsonify, request
from sqlalchemy.exc import DBAPIError

from tenants.agency import apikeys
from tenants.community import members
from tenants.community.ingest import forget, resolve, store
from tenants.community.validate import MAX_BATCH, ItemError, parse_activity
from tenants.core.audit import Actor
from tenants.core.context import set_tenant
from tenants.core.db import db
from tenants.metrics import rollups
from tenants.segments import filters
from tenants.segments.service import SegmentError

from ..extensions import csrf, limiter
from ..params import integer
from . import bp
from .openapi import MAX_LIMIT, spec

csrf.exempt(bp)
# The query parameters each operation takes, as its OpenAPI document lists them: any other is a typo (400).
QUERY_PARAMS = {(path.replace("{", "<").replace("}", ">"), method.upper()):
                {p["name"] for p in op.get("parameters", ()) if p["in"] == "query"}
                for path, methods in spec("")["paths"].items() for method, op in methods.items()}


def _owner() -> apikeys.KeyOwner | None:
    """The request's verified API key, checked once per request (the rate limit asks before the views do)."""
    if "api_owner" not in g:
        header = request.headers.get("Authorization", "")
        g.api_owner = apikeys.authenticate(header.removeprefix("Bearer ").strip()) \
            if header.startswith("Bearer ") else None
    return g.api_owner


def _key_bucket() -> str:
    """A verified key has its own bucket; anything else (no key, a wrong secret for a known prefix) counts
    against the client's address, so nobody can spend another key's limit by naming its prefix."""
    owner = _owner()
    return f"apikey:{owner.key_id}" if owner is not None else f"ip:{request.remote_addr}"


def _limit() -> str:
    return current_app.config["COMMUNA"].api_rate_limit


limiter.limit(_limit, key_func=_key_bucket, scope="api")(bp)


def error(status: int, message: str, **extra):
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


def json_object() -> dict | None:
    """The request's JSON body when it is an object; None for anything else (absent, malformed, too deep)."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        return None
    return body if isinstance(body, dict) else None


def key_actor() -> Actor:
    """The audit actor of a call: the API key, named by its prefix, and the caller's address."""
    return Actor(email=f"API key {g.api_key.prefix}", ip=request.remote_addr)


@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi":
        return None
    rule = request.url_rule.rule if request.url_rule else ""
    unknown = sorted(set(request.args) - QUERY_PARAMS.get((rule, request.method), set()))
    if unknown:
        return error(400, f"unknown query parameter: {unknown[0]}")
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return error(401, "missing API key: send Authorization: Bearer <key>")
    owner = _owner()
    if owner is None:
        return error(401, "invalid or revoked API key")
    set_tenant(owner.agency_id, owner.org_id)
    g.api_key = owner
    return None


def _require(scope: str) -> None:
    if scope not in g.api_key.scopes:
        abort(403)


@bp.route("/openapi.json")
def openapi():
    return jsonify(spec(request.host_url.rstrip("/")))


@bp.route("/activities", methods=["POST"])
def post_activities():
    _require("activities:write")
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        return error(400, "body is nested too deeply")
    if not isinstance(body, dict) or not isinstance(body.get("activities"), list):
        return error(400, 'body must be JSON: {"activities": [...]}')
    items = body["activities"]
    if len(items) > MAX_BATCH:
        return error(413, f"at most {MAX_BATCH} activities per call", limit=MAX_BATCH)
    valid, errors = [], []
    for index, item in enumerate(items):
        try:
            valid.append(parse_activity(item))
        except ItemError as exc:
            errors.append({"index": index, "error": str(exc)})
    result = _ingest_with_retry(valid)
    status = 200 if valid or not errors else 422
    return jsonify({"accepted": result.accepted, "duplicates": result.duplicates, "errors": errors}), status


# A deadlock or serialisation failure with a concurrent batch, or a member that batch found and then removed
# (ingest.forget) before this one stored its activity: sending the batch again converges.
RETRIED = ("40P01", "40001", "23503")


def _ingest_with_retry(valid: list):
    """Ingest and commit; a clash with a concurrent batch is retried once (the batch is idempotent). A batch
    that fails for good takes back the members it created."""
    org_id, created = g.api_key.org_id, set()
    try:
        for attempt in (1, 2):
            try:
                resolved = resolve(db, org_id, valid, serialise=True)
                db.commit()         # new members first: a concurrent batch naming them waits only this long
                created |= resolved.created
                result = store(db, org_id, valid, resolved)
                db.commit()         # ingest requested the incremental scoring; it starts now
                return result
            except DBAPIError as exc:
                db.rollback()
                if attempt == 2 or getattr(exc.orig, "sqlstate", None) not in RETRIED:
                    raise
    except Exception:
        db.rollback()
        forget(db, org_id, created)
        db.commit()
        raise
    raise AssertionError("unreachable")


@bp.route("/members")
def list_members():
    _require("members:read")
    args = request.args
    if args.get("external_id") and not args.get("channel"):
        return error(400, "external_id needs channel")
    limit = integer("limit", 100, 1, MAX_LIMIT)
    f = members.MemberFilter(q=args.get("q") or None, channel=args.get("channel") or None,
                             external_id=args.get("external_id") or None, email=args.get("email") or None,
                             tag=args.get("tag") or None, kind="all", sort="name")
    cursor = args.get("cursor")             # absent: the first page; given (even empty), it must be valid
    if cursor is not None and members.decode_cursor(cursor, "name") is None:
        return error(400, "cursor is not valid")
    try:
        page = filters.page(db, g.api_key.org_id, f, limit, cursor)
    except SegmentError as exc:
        return error(400, f"filter is not valid: {exc.message}")
    return jsonify({"members": [members.as_dict(m, page.identities.get(m.id, []), page.tags.get(m.id, []))
                                for m in page.members],
                    "next_cursor": page.next_cursor})


@bp.route("/metrics/summary")
def metrics_summary():
    _require("members:read")
    return jsonify(rollups.summary(db, g.api_key.org_id))


@bp.route("/members/<member_id>")
def get_member(member_id: str):
    _require("members:read")
    m = members.by_public_id(db, member_id)
    if m is None:
        return error(404, "not found")
    if m.merged_into_id is not None:
        survivor = members.merged_into(db, m)
        return error(404, "member was merged", merged_into=survivor.public_id if survivor else None)
    identities, tags = members.details(db, [m.id])
    return jsonify(members.as_dict(m, identities.get(m.id, []), tags.get(m.id, [])))
