"""The leader list (with candidates, alerts and settings), a leader's page, and the changes staff make."""
from __future__ import annotations

from flask import abort, g, request, url_for
from flask_babel import gettext as _

from tenants.agency import jobs
from tenants.community import members, profile
from tenants.community.models import CHANNELS, Member
from tenants.community.profile import CommunityError
from tenants.core.db import db
from tenants.core.sql import storable
from tenants.leaders import candidates, impact, leaders
from tenants.leaders.leaders import LeaderError
from tenants.leaders.models import LEADER_KINDS, LEADER_STATUSES, TOUCHPOINT_KINDS, Leader
from workers.leaders import request_candidates
from workers.scoring import request_incremental

from ..htmx import fragment, page
from ..htmx import redirect as htmx_redirect
from ..labels import candidate_reasons, domain_message
from ..params import day
from ..tenancy import actor, org_view
from . import bp


def _staff() -> bool:
    return not g.membership.is_client


def _candidates_context(**extra) -> dict:
    run = jobs.recent(db, [jobs.LEADER_CANDIDATES], 1, org_id=g.org.id)
    run = run[0] if run else None
    found = candidates.listing(db, g.org.id)
    return {"candidates": [(c, candidate_reasons(c)) for c in found], "run": run,
            "computed_at": candidates.computed_at(db, g.org.id), "dismissed": candidates.dismissed(db, g.org.id),
            **extra}


def _list_context(**extra) -> dict:
    status = request.args.get("status") if request.args.get("status") in LEADER_STATUSES else None
    context = {"rows": leaders.listing(db, g.org.id, status), "shown": status, "statuses": LEADER_STATUSES,
               "quiet_days": leaders.quiet_days(db, g.org.id), "error": None, "settings_error": None}
    if _staff():
        context.update(_candidates_context())
    return {**context, **extra}


@bp.route("/")
@org_view()
def index():
    return page("leaders/index.html", "content", **_list_context())


@bp.route("/candidates")
@org_view(write=True)
def candidate_list():
    """The candidates block alone: it polls itself while the candidates job runs."""
    return fragment("leaders/index.html", "candidates", **_candidates_context())


@bp.route("/candidates/run", methods=["POST"])
@org_view(write=True)
def run_candidates():
    request_candidates(db, g.org.id, actor().user_id)      # commits
    return fragment("leaders/index.html", "candidates", **_candidates_context())


def _member(member_id: str) -> Member:
    m = members.by_public_id(db, member_id) if storable(member_id) else None
    if m is None or m.org_id != g.org.id or m.merged_into_id is not None:
        abort(404)
    return m


@bp.route("/candidates/<member_id>/dismiss", methods=["POST"])
@org_view(write=True)
def dismiss(member_id: str):
    candidates.dismiss(db, _member(member_id), actor())
    db.commit()
    return fragment("leaders/index.html", "candidates", **_candidates_context())


@bp.route("/candidates/<member_id>/restore", methods=["POST"])
@org_view(write=True)
def restore(member_id: str):
    candidates.restore(db, _member(member_id), actor())
    db.commit()
    return fragment("leaders/index.html", "candidates", **_candidates_context())


def _status_field() -> str:
    status = request.form.get("status", "candidate")
    return status if status in LEADER_STATUSES else ""


def _after_add(leader: Leader):
    db.commit()
    if leader.status == "active":
        request_incremental(db, g.org.id)      # the new advocacy signal reaches the member's stage
    return htmx_redirect(url_for("leaders.show", leader_id=leader.public_id, **_slug()))


def _slug() -> dict:
    return {"agency_slug": g.agency.slug, "org_slug": g.org.slug}


@bp.route("/add", methods=["POST"])
@org_view(write=True)
def add():
    """A member (a candidate, or any member by id) becomes a leader."""
    m = _member(request.form.get("member_id", "").strip().rstrip("/").split("/")[-1])     # an id or a profile link
    try:
        leader = leaders.add(db, m, _status_field(), actor(), note=request.form.get("note", ""))
    except LeaderError as exc:
        db.rollback()
        return page("leaders/index.html", "content", status=422, **_list_context(error=domain_message(
            exc.template, exc.params)))
    return _after_add(leader)


@bp.route("/organisations", methods=["POST"])
@org_view(write=True)
def add_organisation():
    """An organisation (a partner company, a media outlet) as a new member of kind organisation, and a leader."""
    try:
        m = profile.add_organisation(db, g.org.id, request.form.get("name", ""))
        leader = leaders.add(db, m, _status_field(), actor(), kind=request.form.get("kind") or "partner")
    except CommunityError as exc:
        db.rollback()
        return page("leaders/index.html", "content", status=422, **_list_context(error=_(str(exc))))
    except LeaderError as exc:
        db.rollback()
        return page("leaders/index.html", "content", status=422,
                    **_list_context(error=domain_message(exc.template, exc.params)))
    return _after_add(leader)


@bp.route("/settings", methods=["POST"])
@org_view(write=True)
def settings():
    raw = request.form.get("quiet_days", "").strip()
    try:
        leaders.set_quiet_days(db, g.org.id, int(raw) if raw.isascii() and raw.isdigit() else None, actor())
    except LeaderError as exc:
        db.rollback()
        return page("leaders/index.html", "content", status=422,
                    **_list_context(settings_error=domain_message(exc.template, exc.params)))
    db.commit()
    return page("leaders/index.html", "content", **_list_context(saved=True))


@bp.route("/quiet")
@org_view()
def quiet():
    """The dashboard's "Leaders gone quiet" panel, loaded into the page."""
    return fragment("leaders/_quiet.html", "quiet", quiet=leaders.quiet(db, g.org.id),
                    quiet_days=leaders.quiet_days(db, g.org.id))


def _leader(leader_id: str) -> Leader:
    leader = leaders.by_public_id(db, leader_id)
    if leader is None or leader.org_id != g.org.id:
        abort(404)
    return leader


def _show_context(leader: Leader, **extra) -> dict:
    m = leaders.member_of(db, leader)
    staff = _staff()
    months = impact.monthly(db, leader)
    return {"leader": leader, "m": m, "staff": staff, "history": leaders.history(db, leader),
            "touchpoints": leaders.touchpoints(db, leader), "impact": impact.touchpoint_impact(db, leader),
            "reached": impact.reached(db, leader), "months": months,
            "chart": {"labels": [mo.isoformat()[:7] for mo, _p, _n in months],
                      "people": [p for _m, p, _n in months], "interactions": [n for _m, _p, n in months],
                      "people_label": _("Members who answered or mentioned them"),
                      "interactions_label": _("Interactions")},
            "timeline": profile.timeline(db, [m.id], None, None) if m.erased_at is None else None,
            "statuses": LEADER_STATUSES, "kinds": LEADER_KINDS, "touchpoint_kinds": TOUCHPOINT_KINDS,
            "channels": CHANNELS, "people": leaders.staff(db, g.org.id) if staff else [],
            "quiet": leaders.is_quiet(db, leader, m),
            "status_error": None, "details_error": None, "touchpoint_error": None, **extra}


@bp.route("/<leader_id>")
@org_view()
def show(leader_id: str):
    return page("leaders/show.html", "content", **_show_context(_leader(leader_id)))


@bp.route("/<leader_id>/status", methods=["POST"])
@org_view(write=True)
def status(leader_id: str):
    leader = _leader(leader_id)
    was_active = leader.status == "active"
    try:
        changed = leaders.set_status(db, leader, _status_field(), request.form.get("note", ""), actor())
    except LeaderError as exc:
        db.rollback()
        return page("leaders/show.html", "status", status=422, **_show_context(
            _leader(leader_id), status_error=domain_message(exc.template, exc.params)))
    db.commit()
    if changed and was_active != (leader.status == "active"):
        request_incremental(db, g.org.id)
    return htmx_redirect(url_for("leaders.show", leader_id=leader.public_id, **_slug()))


@bp.route("/<leader_id>/details", methods=["POST"])
@org_view(write=True)
def details(leader_id: str):
    leader = _leader(leader_id)
    form = request.form
    owner = leaders.user_by_public_id(db, g.org.id, form.get("owner", "")) if form.get("owner") else None
    try:
        leaders.update(db, leader, actor(), kind=form.get("kind", ""), internal=form.get("internal") == "on",
                       topics=form.get("topics", ""), channels=form.getlist("channels"),
                       owner_id=owner.id if owner else None)
    except LeaderError as exc:
        db.rollback()
        return page("leaders/show.html", "details", status=422, **_show_context(
            _leader(leader_id), details_error=domain_message(exc.template, exc.params)))
    db.commit()
    return page("leaders/show.html", "details", **_show_context(leader, saved=True))


@bp.route("/<leader_id>/touchpoints", methods=["POST"])
@org_view(write=True)
def touchpoint(leader_id: str):
    leader = _leader(leader_id)
    form = request.form
    try:
        leaders.add_touchpoint(db, leader, form.get("kind", ""), day(form.get("day")), form.get("note", ""), actor())
    except LeaderError as exc:
        db.rollback()
        return page("leaders/show.html", "touchpoints", status=422, **_show_context(
            _leader(leader_id), touchpoint_error=domain_message(exc.template, exc.params)))
    db.commit()
    return page("leaders/show.html", "touchpoints", **_show_context(leader))
