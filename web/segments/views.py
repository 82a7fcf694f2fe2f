"""Segments: the list and the rule builder (new, edit, builder re-render, live count); the segment page and its
actions are in segment.py."""
from __future__ import annotations

import json

from flask import abort, flash, g, request, url_for
from flask_babel import gettext as _

from tenants.community import members, profile
from tenants.core.base import utcnow
from tenants.core.db import db
from tenants.events import summary
from tenants.segments import service, stats
from tenants.segments.models import Segment
from tenants.segments.service import SegmentError

from ..htmx import fragment, page
from ..htmx import redirect as htmx_redirect
from ..tenancy import actor, org_view
from . import bp, builder, form, words

PAGE = 50
PREVIEW = 10
EVENT_CHOICES = 200      # the latest events the builder offers
MORE_ROWS = {"segment-rows-more": "rows"}


def _segment(segment_id: str) -> Segment:
    found = service.by_public_id(db, g.org.id, segment_id)
    if found is None:
        abort(404)
    return found


def _url(endpoint: str, **values) -> str:
    return url_for(endpoint, agency_slug=g.agency.slug, org_slug=g.org.slug, **values)


@bp.route("/")
@org_view()
def index():
    today = utcnow().date()
    segments = service.of_org(db, g.org.id)
    before = stats.sizes_before(db, g.org.id, today)
    sizes = service.sizes(db, segments)
    rows = []
    for s in segments:
        size = sizes[s.id]
        name, description = words.starter_text(s)
        rows.append({"segment": s, "name": name, "description": description, "size": size,
                     "change": size - before[s.id] if s.id in before and size is not None else None})
    return page("segments/index.html", "content", rows=rows, can_edit=not g.membership.is_client)


# --- the builder ------------------------------------------------------------------------------------------------

def _scope():
    return service.scope(db, g.org.id)


def _attribute_labels() -> dict[str, str]:
    return {d.key: d.label for d in profile.attribute_defs(db, g.org.id)}


def _builder_context(tree: dict, problems: list, editing: Segment | None = None, values: dict | None = None,
                     errors: dict | None = None, status_problems: bool = False) -> dict:
    scope = _scope()
    labels = _attribute_labels()
    root, general = builder.view(tree, scope, problems)
    names = stats.names(db, g.org.id)
    if editing is not None:
        names.pop(editing.public_id, None)
    return {"root": root, "general": general, "catalogue": builder.catalogue(scope, labels), "segment": editing,
            "segment_names": names, "types": builder.activity_types(), "channels": builder.channels(),
            "stages": builder.choices("stage", scope), "nps_groups": builder.choices("nps", scope),
            "palette": service.PALETTE, "values": values or {}, "errors": errors or {},
            "attribute_labels": labels, "event_names": summary.titles(db, g.org.id, EVENT_CHOICES)}


def _form_tree() -> dict:
    return form.tree_from_form(request.form, builder.kind_of(_scope()))


def _values(segment: Segment | None = None) -> dict:
    """The name, description, colour and kind the form shows."""
    if request.method == "POST":
        f = request.form
        return {"name": f.get("name", ""), "description": f.get("description", ""),
                "colour": f.get("colour", service.PALETTE[0]), "kind": f.get("kind", "dynamic")}
    if segment is None:
        return {"name": "", "description": "", "colour": service.PALETTE[0], "kind": "dynamic"}
    name, description = words.starter_text(segment)
    return {"name": name, "description": description, "colour": segment.colour, "kind": segment.kind}


def _linked_rule() -> tuple[dict, list]:
    """The rule a link brings: ?rules=<JSON> (the members list's "Save as segment") or ?from=<segment> (a copy)."""
    copied = request.args.get("from")
    if copied:
        source = service.by_public_id(db, g.org.id, copied)
        if source is not None and source.kind == "dynamic":
            return form.normalize(source.rules)
        return {"all": []}, [("rules", "is not a segment of this organisation")]
    raw = request.args.get("rules")
    if not raw:
        return {"all": []}, []
    try:
        return form.normalize(json.loads(raw))
    except (ValueError, RecursionError):
        return {"all": []}, [("rules", "must be an object: a group (all, any, not) or a condition (field, op, value)")]


def _checked(tree: dict, problems: list, editing: Segment | None) -> list:
    """The problems of a rule as check() finds them, after those of reading it."""
    if problems:
        return problems
    try:
        service.checked(db, g.org.id, tree, seen=(editing.public_id,) if editing else ())
    except SegmentError as exc:
        return list(exc.problems)
    return []


@bp.route("/new", methods=["GET", "POST"])
@org_view(write=True)
def new():
    if request.method == "POST":
        return _save(None)
    tree, problems = _linked_rule()
    if request.args.get("rules") or request.args.get("from"):
        problems = _checked(tree, problems, None)
    values = _values()
    if request.args.get("from"):
        source = service.by_public_id(db, g.org.id, request.args["from"])
        if source is not None:
            name, description = words.starter_text(source)
            values.update(name=_("Copy of %(name)s", name=name), description=description, colour=source.colour,
                          kind=source.kind)
    return page("segments/edit.html", "content", **_builder_context(tree, problems, values=values))


@bp.route("/<segment_id>/edit", methods=["GET", "POST"])
@org_view(write=True)
def edit(segment_id: str):
    segment = _segment(segment_id)
    if request.method == "POST":
        return _save(segment)
    tree, problems = form.normalize(segment.rules) if segment.kind == "dynamic" else ({"all": []}, [])
    return page("segments/edit.html", "content", **_builder_context(tree, problems, segment, _values(segment)))


def _original(segment: Segment | None, values: dict) -> dict:
    """A starter's name and description shown translated are saved as the original text, so they stay
    translated for every reader until someone really changes them."""
    if segment is not None and segment.starter in words.STARTERS:
        name, description = words.starter_text(segment)
        if values["name"] == name:
            values["name"] = segment.name
        if values["description"] == description:
            values["description"] = segment.description
    return values


def _save(segment: Segment | None):
    values = _values(segment)
    tree = _form_tree()
    data = _original(segment, dict(values))
    if segment is None:
        data["rules"] = tree if values["kind"] == "dynamic" else None
    elif segment.kind == "dynamic":
        data["rules"] = tree
    data.pop("kind") if segment is not None else None
    try:
        saved = service.create(db, g.org.id, data, actor()) if segment is None \
            else service.update_segment(db, segment, data, actor())
    except SegmentError as exc:
        db.rollback()
        rule_problems = [(p, m) for p, m in exc.problems if p.startswith("rules")]
        errors = {p: _(m) for p, m in exc.problems if not p.startswith("rules")}
        editing = _segment(segment.public_id) if segment is not None else None
        return page("segments/edit.html", "content", status=422,
                    **_builder_context(tree, rule_problems, editing, values, errors))
    db.commit()
    flash(_("Segment saved."), "success")
    return htmx_redirect(_url("segments.show", segment_id=saved.public_id))


@bp.route("/builder", methods=["POST"])
@org_view(write=True)
def rebuild():
    """The builder block again after a structural change: a button (add a condition or group, remove one) or a
    field, operator, all/any or "not" change."""
    tree = _form_tree()
    action = request.form.get("edit", "")
    if action:
        tree = form.edit(tree, action, request.form.get("at", ""))
    editing = service.by_public_id(db, g.org.id, request.form.get("segment", "")) if request.form.get("segment") \
        else None
    response = fragment("segments/edit.html", "builder", **_builder_context(tree, [], editing))
    # After the swap, so that the count reads the new builder's inputs (HX-Trigger fires before it).
    response.headers["HX-Trigger-After-Settle"] = "rule-changed"
    return response


@bp.route("/preview", methods=["POST"])
@org_view(write=True)
def preview():
    """The live count while the rule is edited, and the first members by name."""
    tree = _form_tree()
    editing = request.form.get("segment") or ""
    try:
        stmt = service.rule_statement(db, g.org.id, tree, seen=(editing,) if editing else ())
    except SegmentError as exc:
        return fragment("segments/edit.html", "preview", total=None,
                        problems=list(dict.fromkeys(words.problem(m, p) for p, m in exc.problems))[:5])
    first = members.page(db, stmt, "name", PREVIEW)
    return fragment("segments/edit.html", "preview", total=service.count(db, stmt), first=first.members,
                    problems=[])
