"""The members list, profile, merges, duplicates and custom attributes."""
from __future__ import annotations

import json

from flask import Response, abort, flash, g, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from tenants import scoring
from tenants.community import duplicates, members, merge, profile
from tenants.community.merge import MergeError
from tenants.community.models import ACTIVITY_TYPES, CHANNELS, Member
from tenants.community.profile import CommunityError
from tenants.core.db import db
from tenants.metrics.rollups import month_start, parse_month
from tenants.scoring import STAGES
from tenants.segments import filters

from ..htmx import fragment, page, swaps
from ..htmx import redirect as htmx_redirect
from ..labels import activity_label, channel_label, stage_label
from ..params import day, integer
from ..tenancy import actor, org_view
from . import bp
from . import events as member_events

PAGE = 50
DUPLICATES_PAGE = 20
# Fragments by the element an htmx request swaps: "Show more" rows of the list; the profile's timeline (its
# type filter) and its "Older" rows.
MORE_ROWS = {"member-rows-more": "rows"}
TIMELINE = {"timeline": "timeline", "timeline-more": "timeline_rows"}


def _filter() -> members.MemberFilter:
    a = request.values
    kind = a.get("kind") if a.get("kind") in members.KINDS else "people"
    sort = a.get("sort") if a.get("sort") in members.SORTS else "last_active"
    stage = a.get("stage") if a.get("stage") in STAGES else None
    channel = a.get("channel") if a.get("channel") in CHANNELS else None
    q, tag = ((a.get(name) or "").strip()[:200] or None for name in ("q", "tag"))
    f = members.MemberFilter(q=q, channel=channel, tag=tag, stage=stage, kind=kind, sort=sort)
    return _segment(f, a)


def _segment(f: members.MemberFilter, a) -> members.MemberFilter:
    """The dashboard's links: date ranges, a stage move in a month, an NPS group. Bad values are ignored."""
    for name in members.SEGMENT_DATES:
        setattr(f, name, day(a.get(name)))
    month, to_stage = parse_month(a.get("month")), a.get("to_stage")
    if month is not None and to_stage in STAGES:
        f.month, f.to_stage = month, to_stage
        from_stage = a.get("from_stage")
        f.from_stage = from_stage if from_stage in STAGES or from_stage == "none" else None     # None: any
    f.nps = a.get("nps") if a.get("nps") in members.NPS_GROUPS else None
    f.activity_type = a.get("activity_type") if a.get("activity_type") in ACTIVITY_TYPES else None
    f.activity_channel = a.get("activity_channel") if a.get("activity_channel") in CHANNELS else None
    return f


def _list_context(f: members.MemberFilter, cursor: str | None = None, **extra) -> dict:
    result = filters.page(db, g.org.id, f, PAGE, cursor)
    # The total is counted in its own request (see count()), so the list never waits for it.
    # "Show more" renders rows only: the filter bar's tag counts are not needed there.
    tags = profile.org_tags(db, g.org.id) if cursor is None else []
    return {"f": f, "page": result, "total": None, "channels": CHANNELS, "tags": tags, "cursor": cursor,
            "message": None, "segment": _segment_labels(f),
            "save_rule": json.dumps(filters.rule_of(f), ensure_ascii=False, separators=(",", ":")), **extra}


def _segment_labels(f: members.MemberFilter) -> list[str]:
    """The dashboard segment in words, shown above the list with a way to clear it."""
    out = []
    for label, lo, hi in ((_("First seen %(start)s – %(end)s"), f.seen_from, f.seen_to),
                          (_("Active %(start)s – %(end)s"), f.active_from, f.active_to),
                          (_("No activity %(start)s – %(end)s"), f.quiet_from, f.quiet_to)):
        if lo or hi:
            out.append(label % {"start": format_date(lo, "medium") if lo else "…",
                                "end": format_date(hi, "medium") if hi else "…"})
    if f.month is not None and f.to_stage:
        month = format_date(month_start(f.month), "LLLL yyyy")
        if f.from_stage is None:
            out.append(_("%(stage)s at the end of %(month)s", stage=stage_label(f.to_stage), month=month))
        else:
            before = stage_label(f.from_stage) if f.from_stage != "none" else _("not yet a member")
            out.append(_("%(from)s → %(to)s in %(month)s", **{"from": before, "to": stage_label(f.to_stage),
                                                               "month": month}))
    if f.nps:
        out.append({"promoter": _("NPS promoters"), "passive": _("NPS passives"),
                    "detractor": _("NPS detractors")}[f.nps])
    if f.activity_type:
        out.append(_("Activity: %(type)s", type=activity_label(f.activity_type)))
    if f.activity_channel:
        out.append(_("Channel: %(channel)s", channel=channel_label(f.activity_channel)))
    return out


@bp.route("/")
@org_view(write=True)
def index():
    f = _filter()
    cursor = request.args.get("cursor") or None
    return page("members/index.html", "results", fragments=MORE_ROWS, **_list_context(f, cursor))


@bp.route("/count")
@org_view(write=True)
def count():
    """A fragment only: the list page loads it after rendering."""
    f = _filter()
    return fragment("members/index.html", "count", f=f, total=filters.count(db, g.org.id, f))


@bp.route("/bulk", methods=["POST"])
@org_view(write=True)
def bulk():
    ids = profile.ids_for(db, request.form.getlist("ids"))
    action, tag = request.form.get("action", ""), request.form.get("tag", "")
    f = _filter()
    if action == "export":
        return _csv_export(ids)
    try:
        if not ids:
            raise CommunityError("Select members first.")
        if action == "tag":
            profile.add_tag(db, ids, tag)
        elif action == "untag":
            profile.remove_tag(db, ids, tag)
        elif action in ("staff", "unstaff", "bot", "unbot"):
            flag = "is_staff" if "staff" in action else "is_bot"
            profile.set_flag(db, ids, flag, not action.startswith("un"))
        else:
            raise CommunityError("Choose an action.")
    except CommunityError as exc:
        db.rollback()
        return page("members/index.html", "results", status=422,
                    **_list_context(f, message=_(str(exc)), message_error=True))
    db.commit()
    msg = _("%(n)s members updated.", n=len(ids))
    return page("members/index.html", "results", **_list_context(f, message=msg))


def _csv_export(ids: list[int]) -> Response:
    return Response(members.export_csv(db, ids), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="members-{g.org.slug}.csv"'})


def _member(member_id: str) -> Member:
    m = members.by_public_id(db, member_id)
    if m is None or m.org_id != g.org.id:
        abort(404)
    return m


def _timeline_context(m: Member) -> dict:
    kind = request.args.get("type") if request.args.get("type") in ACTIVITY_TYPES else None
    return {"m": m, "kind": kind, "timeline": profile.timeline(db, [m.id], kind, request.args.get("before")),
            "types": profile.activity_types(db, m.id)}


def _profile_context(m: Member, **extra) -> dict:
    identities, tags = members.details(db, [m.id])
    survivor = members.merged_into(db, m)
    why = scoring.explain(db, m) if not (m.is_staff or m.is_bot or m.erased_at) else None
    return {**_timeline_context(m), "identities": identities.get(m.id, []), "tags": tags.get(m.id, []),
            "why": why, "notes": profile.notes(db, m), "defs": profile.attribute_defs(db, g.org.id),
            "merges": merge.merges_of(db, m), "survivor": survivor, "error": None,
            **member_events.context(m), **extra}


@bp.route("/<member_id>")
@org_view(write=True)
def show(member_id: str):
    m = _member(member_id)
    if any(swaps(target) for target in TIMELINE):     # the type filter, the "older" button: no profile needed
        return page("members/show.html", "content", fragments=TIMELINE, **_timeline_context(m))
    return page("members/show.html", "content", **_profile_context(m))


@bp.route("/<member_id>/fields", methods=["POST"])
@org_view(write=True)
def save_fields(member_id: str):
    m = _member(member_id)
    form = request.form
    try:
        profile.update_fields(m, form.get("display_name", ""), form.get("email"), form.get("phone"),
                                form.get("city"), form.get("followers"))
        defs = profile.attribute_defs(db, g.org.id)
        profile.set_attributes(m, defs, {d.key: form.get(f"attr_{d.key}", "") for d in defs
                                           if f"attr_{d.key}" in form})
        profile.set_flag(db, [m.id], "is_staff", form.get("is_staff") == "on")
        profile.set_flag(db, [m.id], "is_bot", form.get("is_bot") == "on")
    except CommunityError as exc:
        db.rollback()
        message = _(str(exc), label=getattr(exc, "label", ""))
        return page("members/show.html", "details", status=422, **_profile_context(_member(member_id), error=message))
    db.commit()
    return page("members/show.html", "details", **_profile_context(m, saved=True))


@bp.route("/<member_id>/tags", methods=["POST"])
@org_view(write=True)
def tags(member_id: str):
    m = _member(member_id)
    try:
        if request.form.get("remove"):
            profile.remove_tag(db, [m.id], request.form["remove"])
        else:
            profile.add_tag(db, [m.id], request.form.get("tag", ""))
    except CommunityError as exc:
        db.rollback()
        return page("members/show.html", "tags", status=422, **_profile_context(m, tag_error=_(str(exc))))
    db.commit()
    return page("members/show.html", "tags", **_profile_context(m))


@bp.route("/<member_id>/notes", methods=["POST"])
@org_view(write=True)
def add_note(member_id: str):
    m = _member(member_id)
    try:
        profile.add_note(db, m, request.form.get("body", ""), current_user.id)
    except CommunityError as exc:
        return page("members/show.html", "notes", status=422, **_profile_context(m, note_error=_(str(exc))))
    db.commit()
    return page("members/show.html", "notes", **_profile_context(m))


@bp.route("/<member_id>/export")
@org_view(write=True)
def export(member_id: str):
    m = _member(member_id)
    data = profile.export_member(db, m, actor())
    db.commit()
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="member-{m.public_id}.json"'})


@bp.route("/<member_id>/erase", methods=["POST"])
@org_view(write=True)
def erase(member_id: str):
    m = _member(member_id)
    profile.erase_member(db, m, actor())
    db.commit()
    flash(_("The member's personal data and activity were erased."), "success")
    return htmx_redirect(url_for("members.index", agency_slug=g.agency.slug, org_slug=g.org.slug))


@bp.route("/<member_id>/merge", methods=["POST"])
@org_view(write=True)
def merge_into(member_id: str):
    """Merge `other` (chosen on this profile or from a suggestion) into this member."""
    m = _member(member_id)
    other = _member(request.form.get("other", "").strip().rstrip("/").split("/")[-1])
    try:
        merge.merge(db, m, other, actor())
    except MergeError as exc:
        db.rollback()
        flash(_(str(exc)), "error")
        return htmx_redirect(url_for("members.show", agency_slug=g.agency.slug, org_slug=g.org.slug,
                                     member_id=m.public_id))
    db.commit()
    flash(_("%(other)s was merged into %(name)s.", other=other.display_name, name=m.display_name), "success")
    return htmx_redirect(url_for("members.show", agency_slug=g.agency.slug, org_slug=g.org.slug,
                                 member_id=m.public_id))


@bp.route("/merges/<merge_id>/undo", methods=["POST"])
@org_view(write=True)
def undo_merge(merge_id: str):
    record = merge.by_public_id(db, g.org.id, merge_id)
    if record is None:
        abort(404)
    try:
        restored = merge.unmerge(db, record, actor())
    except MergeError as exc:
        db.rollback()
        flash(_(str(exc)), "error")
        target = merge.survivor_of(db, record).public_id
    else:
        db.commit()
        flash(_("Merge undone: %(name)s is a separate member again.", name=restored.display_name), "success")
        target = restored.public_id
    return htmx_redirect(url_for("members.show", agency_slug=g.agency.slug, org_slug=g.org.slug, member_id=target))


def _duplicates_context(number: int, **extra) -> dict:
    return {"result": duplicates.page(db, g.org.id, number, DUPLICATES_PAGE), "message": None, "merged": [],
            **extra}


@bp.route("/duplicates", endpoint="duplicates")
@org_view(write=True)
def duplicates_page():
    context = _duplicates_context(integer("page", 1, 1, 100_000))
    db.commit()                 # the name keys of members renamed or added since the last look
    return page("members/duplicates.html", "list", **context)


@bp.route("/duplicates/bulk", methods=["POST"])
@org_view(write=True)
def duplicates_bulk():
    """Merge or dismiss the ticked groups, or the one group whose own button was pressed."""
    form = request.form
    one = form.get("merge_one") or form.get("dismiss_one")
    action = ("merge" if form.get("merge_one") else "dismiss") if one else form.get("action", "")
    number = integer_form(form.get("page"))
    try:
        groups = duplicates.resolve(db, g.org.id, [one] if one else form.getlist("group"))
        if not groups:
            raise MergeError("Select groups first.")
        if action == "merge":
            merged = duplicates.merge_groups(db, groups, actor())
        elif action == "dismiss":
            duplicates.dismiss_groups(db, g.org.id, groups, current_user.id)
            merged = []
        else:
            raise MergeError("Choose an action.")
    except MergeError as exc:
        db.rollback()
        return page("members/duplicates.html", "list", status=422,
                    **_duplicates_context(number, message=_(str(exc)), message_error=True))
    db.commit()
    msg = (ngettext("%(num)s group merged.", "%(num)s groups merged.", len(merged)) if action == "merge"
           else ngettext("%(num)s group dismissed.", "%(num)s groups dismissed.", len(groups)))
    return page("members/duplicates.html", "list", **_duplicates_context(number, message=msg, merged=merged))


def integer_form(raw: str | None) -> int:
    """The page a bulk action was taken on; anything but a small positive number is the first page."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 else 1


@bp.route("/attributes", methods=["GET", "POST"])
@org_view(write=True)
def attributes():
    error = None
    if request.method == "POST":
        try:
            profile.define_attribute(db, g.org.id, request.form.get("label", ""), request.form.get("kind", ""),
                                       request.form.get("choices", ""))
        except CommunityError as exc:
            db.rollback()
            error = _(str(exc))
        else:
            db.commit()
    return page("members/attributes.html", "defs", status=422 if error else 200,
                defs=profile.attribute_defs(db, g.org.id), error=error, kinds=profile.ATTRIBUTE_KINDS)
