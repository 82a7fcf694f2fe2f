"""Goals: the list grouped by status, the form (new, from a template, edit; "add a target" re-renders it), the goal
page with its chart and points, close (a missed goal needs a note), reopen and delete."""
from __future__ import annotations

from flask import abort, flash, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tenants import kpis
from tenants.core.base import utcnow
from tenants.core.db import db
from tenants.goals import catalogue, service, summary
from tenants.goals.models import CATEGORIES, Goal
from tenants.goals.progress import targets_of
from tenants.goals.service import GoalError
from tenants.leaders.leaders import staff
from tenants.segments import service as segments

from ..htmx import fragment, page
from ..htmx import redirect as htmx_redirect
from ..labels import GOAL_CATEGORIES, GOAL_OUTCOMES, GOAL_TEMPLATES, domain_message, kpi_hint, kpi_name
from ..tenancy import actor, org_view
from . import bp, display, form

# The list's groups, in the order a manager wants to see them: what needs attention first.
GROUPS = ("behind", "at_risk", "on_track", "not_started", "no_data", "achieved", "missed")


@bp.context_processor
def _helpers() -> dict:
    return {"kpi_value": display.kpi_value, "kpi_name": kpi_name, "kpi_hint": kpi_hint,
            "goal_status": display.status_label, "goal_category": lambda c: str(GOAL_CATEGORIES.get(c, c)),
            "goal_outcome": lambda c: str(GOAL_OUTCOMES.get(c, c))}


def _url(endpoint: str, **values) -> str:
    return url_for(endpoint, agency_slug=g.agency.slug, org_slug=g.org.slug, **values)


def _goal(goal_id: str) -> Goal:
    found = service.by_public_id(db, g.org.id, goal_id)
    if found is None:
        abort(404)
    return found


@bp.route("/")
@org_view()
def index():
    views = summary.board(db, g.org.id)
    owners = service.owners(db, [v.goal for v in views])
    open_ = [v for v in views if v.goal.closed_at is None]
    groups = [(s, [v for v in open_ if v.status == s]) for s in GROUPS]
    closed = [v for v in views if v.goal.closed_at is not None]
    return page("goals/index.html", "content", groups=[(s, vs) for s, vs in groups if vs], closed=closed,
                owners=owners, can_edit=not g.membership.is_client, empty=not views)


def _form_page(values: dict, goal: Goal | None = None, errors: dict | None = None, status: int = 200):
    return page("goals/edit.html", "content", status=status, fragments={"goal-form": "form"}, values=values,
                goal=goal, errors=errors or {}, kpi_codes=kpis.CODES, kpis=kpis.KPIS, categories=CATEGORIES,
                templates=catalogue.by_category(), template_texts=GOAL_TEMPLATES,
                segments=segments.of_org(db, g.org.id), people=staff(db, g.org.id))


def _me() -> str:
    return current_user.public_id if any(u.id == current_user.id for u in staff(db, g.org.id)) else ""


def _save(editing: Goal | None):
    values = form.posted()
    if "add_target" in request.form:           # "Add a target": the form again with one more row, nothing saved
        return _form_page(values, editing)
    data = {**values, "segment": values["segment"] or None}
    try:
        goal = service.create(db, g.org.id, data, actor()) if editing is None \
            else service.update(db, editing, data, actor())
    except GoalError as exc:
        db.rollback()
        editing = _goal(editing.public_id) if editing is not None else None
        return _form_page(values, editing, form.error(exc), 422)
    db.commit()
    flash(_("Goal saved."), "success")
    return htmx_redirect(_url("goals.show", goal_id=goal.public_id))


@bp.route("/new", methods=["GET", "POST"])
@org_view(write=True)
def new():
    if request.method == "POST":
        return _save(None)
    code = request.args.get("template", "")
    return _form_page(form.from_template(code, _me()) if code in catalogue.TEMPLATES else form.blank(_me()))


@bp.route("/<goal_id>/edit", methods=["GET", "POST"])
@org_view(write=True)
def edit(goal_id: str):
    goal = _goal(goal_id)
    if request.method == "POST":
        return _save(goal)
    segment = next((s.public_id for s in segments.of_org(db, g.org.id) if s.id == goal.segment_id), "")
    owner = next((u.public_id for u in staff(db, g.org.id) if u.id == goal.owner_id), "")
    return _form_page(form.of_goal(goal, segment, owner), goal)


@bp.route("/kpi")
@org_view(write=True)
def kpi():
    """The chosen KPI's explanation and its value today, beside the form's KPI (loaded as it changes)."""
    code = request.args.get("kpi", "")
    if code not in kpis.KPIS:
        return fragment("goals/edit.html", "kpi_now", code=None)
    segment = segments.by_public_id(db, g.org.id, request.args.get("segment", "")) if request.args.get("segment") \
        else None
    value = None
    if code != "segment_size" or segment is not None:
        value = kpis.at(db, g.org.id, code, utcnow().date(), segment if kpis.KPIS[code].scopable else None)
    return fragment("goals/edit.html", "kpi_now", code=code, now_value=value)


@bp.route("/<goal_id>")
@org_view()
def show(goal_id: str):
    return _show(_goal(goal_id))


def _show(goal: Goal, close_values: dict | None = None, close_error: str = "", status: int = 200):
    today = utcnow().date()
    view = summary.board_one(db, goal, today)
    targets = targets_of(goal.targets)
    owners = service.owners(db, [goal])
    per_target = [(t, summary.evaluated(goal, view.points, t.due) if t.due < today else None) for t in targets]
    return page("goals/show.html", "content", status=status, fragments={"close": "close"}, view=view, goal=goal,
                targets=per_target, owner=owners.get(goal.owner_id), today=today,
                chart=display.chart(goal, targets, view.points, today), can_edit=not g.membership.is_client,
                close_values=close_values or {}, close_error=close_error,
                projected=display.projected_at(view.points, targets, today))


@bp.route("/<goal_id>/close", methods=["POST"])
@org_view(write=True)
def close(goal_id: str):
    goal = _goal(goal_id)
    note = request.form.get("note", "")
    try:
        service.close(db, goal, note, actor())
    except GoalError as exc:
        db.rollback()
        return _show(_goal(goal_id), {"note": note}, domain_message(exc.template, exc.params), 422)
    db.commit()
    flash(_("The goal is closed."), "success")
    return htmx_redirect(_url("goals.show", goal_id=goal.public_id))


@bp.route("/<goal_id>/reopen", methods=["POST"])
@org_view(write=True)
def reopen(goal_id: str):
    goal = _goal(goal_id)
    if goal.closed_at is not None:
        service.reopen(db, goal, actor())
        db.commit()
        flash(_("The goal is open again."), "success")
    return htmx_redirect(_url("goals.show", goal_id=goal.public_id))


@bp.route("/<goal_id>/delete", methods=["POST"])
@org_view(write=True)
def delete(goal_id: str):
    goal = _goal(goal_id)
    title = goal.title
    service.delete_goal(db, goal, actor())
    db.commit()
    flash(_("%(title)s is deleted.", title=title), "info")
    return htmx_redirect(_url("goals.index"))
