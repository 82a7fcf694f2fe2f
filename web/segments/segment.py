"""One segment: its page (figures, trend, who entered and left, members), bulk actions, freeze, delete."""
from __future__ import annotations

from flask import Response, abort, flash, g, request
from flask_babel import gettext as _

from tenants.community import members, profile
from tenants.community.profile import CommunityError
from tenants.core.base import utcnow
from tenants.core.db import db
from tenants.events import summary
from tenants.segments import service, stats
from tenants.segments.models import Segment
from tenants.segments.service import SegmentError

from ..htmx import page, swaps
from ..htmx import redirect as htmx_redirect
from ..tenancy import actor, org_view
from . import bp, words
from .views import _attribute_labels, _segment, _url

PAGE = 50
MORE_ROWS = {"segment-rows-more": "rows"}


# --- the segment page -------------------------------------------------------------------------------------------

def _moves(segment: Segment, today) -> list[dict]:
    found = stats.moves(db, segment, today)
    versions = stats.version_rules(db, segment, {m.version for m in found})
    names, labels = {**summary.titles(db, g.org.id), **stats.names(db, g.org.id)}, _attribute_labels()
    out = []
    for move in found:
        leaves = words.leaves_by_path(versions.get(move.version) or segment.rules)
        why = [words.describe(leaves[path], names, labels) for path, held in move.conditions.items()
               if path in leaves and held == move.entered]
        out.append({"member": move.member, "entered": move.entered, "day": move.day, "why": why})
    return out


def _show_context(segment: Segment, cursor: str | None = None, rows_only: bool = False, **extra) -> dict:
    stmt = service.statement(db, segment)
    result = members.page(db, stmt, "name", PAGE, cursor)
    context = {"segment": segment, "page": result, "cursor": cursor, "message": None,
               "can_edit": not g.membership.is_client, "targets": [s for s in service.of_org(db, g.org.id)
                                                                  if s.kind == "static" and s.id != segment.id]}
    if not rows_only:
        today = utcnow().date()
        name, description = words.starter_text(segment)
        names, labels = {**summary.titles(db, g.org.id), **stats.names(db, g.org.id)}, _attribute_labels()
        context.update(name=name, description=description, figures=stats.figures(db, stmt, today),
                       trend=stats.trend(db, segment, today), moves=_moves(segment, today),
                       rule=words.rule_lines(segment.rules, names, labels) if segment.kind == "dynamic" else [],
                       edited_by=stats.edited_by(db, segment))
    return {**context, **extra}


@bp.route("/<segment_id>")
@org_view()
def show(segment_id: str):
    segment = _segment(segment_id)
    cursor = request.args.get("cursor") or None
    if cursor and members.decode_cursor(cursor, "name") is None:
        abort(400)
    return page("segments/show.html", "content", fragments=MORE_ROWS,
                **_show_context(segment, cursor, rows_only=swaps("segment-rows-more")))


@bp.route("/<segment_id>/bulk", methods=["POST"])
@org_view(write=True)
def bulk(segment_id: str):
    segment = _segment(segment_id)
    stmt = service.statement(db, segment)
    everyone = request.form.get("scope") == "all"
    ids = service.member_ids(db, stmt) if everyone else stats.selected(db, stmt, request.form.getlist("ids"))
    action = request.form.get("action", "")
    if action == "export":
        return Response(members.export_csv(db, ids), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="segment-{segment.public_id}.csv"'})
    try:
        message = _bulk(segment, action, ids)
    except (CommunityError, SegmentError) as exc:
        db.rollback()
        text = _(exc.message) if isinstance(exc, SegmentError) else _(str(exc))
        return page("segments/show.html", "members", status=422,
                    **_show_context(_segment(segment_id), message=text, message_error=True))
    db.commit()
    return page("segments/show.html", "members", **_show_context(segment, message=message))


def _bulk(segment: Segment, action: str, ids: list[int]) -> str:
    if not ids:
        raise CommunityError("Select members first.")
    if action == "tag":
        profile.add_tag(db, ids, request.form.get("tag", ""))
        return _("%(n)s members tagged.", n=len(ids))
    if action == "add_to":
        target = service.by_public_id(db, g.org.id, request.form.get("target", ""))
        if target is None or target.kind != "static":
            raise CommunityError("Choose a static segment.")
        added = service.add_members(db, target, ids)
        name, _description = words.starter_text(target)
        return _("%(n)s members added to %(segment)s.", n=added, segment=name)
    if action == "remove" and segment.kind == "static":
        removed = service.remove_members(db, segment, ids)
        return _("%(n)s members removed from this segment.", n=removed)
    raise CommunityError("Choose an action.")


@bp.route("/<segment_id>/freeze", methods=["POST"])
@org_view(write=True)
def freeze(segment_id: str):
    segment = _segment(segment_id)
    name, _description = words.starter_text(segment)
    frozen = service.freeze(db, segment, actor(), name=_("%(name)s (frozen %(day)s)", name=name,
                                                        day=utcnow().date().isoformat())[:120])
    db.commit()
    flash(_("A static copy of today's members was saved."), "success")
    return htmx_redirect(_url("segments.show", segment_id=frozen.public_id))


@bp.route("/<segment_id>/delete", methods=["POST"])
@org_view(write=True)
def delete(segment_id: str):
    segment = _segment(segment_id)
    users = service.used_by(db, segment)
    if users:
        flash(_("This segment is used by the segments %(names)s; change them first.",
                names=", ".join(f"“{n}”" for n in users)), "error")
        return htmx_redirect(_url("segments.show", segment_id=segment.public_id))
    name, _description = words.starter_text(segment)
    service.delete_segment(db, segment, actor())
    db.commit()
    flash(_("Segment %(name)s deleted.", name=name), "success")
    return htmx_redirect(_url("segments.index"))
