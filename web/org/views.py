"""The organisation dashboard, its scoring status line and Recompute button, and its settings."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block
from markupsafe import Markup

from tenants import kpis, scoring
from tenants.agency import access, jobs, orgs
from tenants.agency.orgs import OrgError
from tenants.core.base import utcnow
from tenants.core.db import db
from tenants.events import summary as event_summary
from tenants.metrics import dashboard, rollups
from tenants.metrics.rollups import month_start
from tenants.reports import service as reports
from workers.scoring import request_full

from ..extensions import cached, keep
from ..htmx import fragment, page, respond, swaps, wants_fragment
from ..htmx import redirect as htmx_redirect
from ..labels import stage_label
from ..params import integer
from ..tenancy import actor, org_view
from . import bp


@bp.route("/")
@org_view(scoring_state=True)
def overview():
    """The organisation dashboard: KPIs for a period against the previous one, charts, member tables."""
    days = integer("days", 30, 1, 3660)
    start, end = request.args.get("start"), request.args.get("end")
    custom = None           # True: a valid custom range; False: one given but not valid (said on the page)
    if start or end:
        custom = dashboard.custom_range(start, end) is not None
    p = dashboard.period(days, start, end)
    days = days if days in (7, 30, 90) else (None if custom else 30)
    state, run = g.scoring_state, g.scoring_run
    panels = _panels(p, days, state)
    if swaps("panels"):     # new scores: the panels alone, as cached
        return respond(panels)
    return page("org/overview.html", "content", period=p, days=days, range_error=custom is False, panels=panels,
                summary=_status(state), run=run,
                people=access.people_with_access(db, g.org.id) if not g.membership.is_client else [],
                latest_report=reports.latest_published(db, g.org.id) if g.membership.is_client else None)


def _panels(p, days: int | None, state) -> Markup:
    """The dashboard's panels (KPIs, charts, tables), rendered once per organisation, period, language and kind
    of reader, until the next scoring or metrics pass changes the numbers (or ten minutes pass): the page is
    read far more often than they change. The key names the organisation itself (id and creation time), so
    no two organisations can ever share an entry."""
    stamps = (state.scored_at, state.metrics_at) if state else (None, None)
    key = "dashboard:" + "|".join(str(part) for part in (
        g.agency.id, g.org.id, g.org.created_at.isoformat(), g.membership.is_client, get_locale(), p.start, p.end,
        days, *stamps, utcnow().date()))
    html = cached(key)
    if html is None:
        html = render_block("org/overview.html", "panels", **_panel_context(p, days))
        keep(key, html)
    return Markup(html)  # noqa: S704 -- our own template, escaped when it was rendered


def _panel_context(p, days: int | None) -> dict:
    chart = dashboard.series(db, g.org.id, p)
    return {
        "period": p, "prev": p.previous(), "days": days, "chart": chart, "change": dashboard.change,
        "kpis": dashboard.cached_kpis(db, g.org.id, p) or dashboard.kpis(db, g.org.id, p),
        "summary": rollups.summary(db, g.org.id),
        "figures": kpis.compute(db, g.org.id, p, ("members", "loyal_advocates", "at_risk_share")),
        "month_names": _month_names(chart["monthly"]),
        "stage_names": {s: stage_label(s) for s in scoring.STAGES}, "stages": scoring.STAGES,
        "top": dashboard.top(db, g.org.id, "score"), "at_risk": dashboard.top(db, g.org.id, "at_risk"),
        "influential": dashboard.influential(db, g.org.id),
        "events": event_summary.of_org(db, g.org.id),
    }


def _status(state) -> dict:
    """What the "scores computed …, metrics …" line needs (the panels carry the totals)."""
    return {"computed_at": state.scored_at.isoformat() if state and state.scored_at else None,
            "metrics_at": state.metrics_at.isoformat() if state and state.metrics_at else None}


def _month_names(monthly: dict | None) -> list[str]:
    return [format_date(month_start(m), "LLL yyyy") for m in (monthly or {}).get("months", [])]


@bp.route("/scoring-status")
@org_view(scoring_state=True)
def scoring_status():
    """The dashboard's "computing…" line: polls itself while a scoring job runs, then tells the panels (and
    says so if the job failed)."""
    if not wants_fragment():
        return redirect(url_for("org.overview", agency_slug=g.agency.slug, org_slug=g.org.slug))
    state, run = g.scoring_state, g.scoring_run
    if run is not None and jobs.silent(run):        # its worker stopped sending its heartbeat: failed as lost now
        jobs.check_alive(db, run)
        db.commit()
    finished = run is None or run.finished
    trigger = "scores-updated" if finished and request.args.get("was") else None
    return fragment("org/overview.html", "status", trigger=trigger, run=run, summary=_status(state))


@bp.route("/settings", methods=["GET", "POST"])
@org_view(admin=True)
def settings():
    error = None
    if request.method == "POST":
        try:
            orgs.rename(db, g.org, request.form.get("name", ""), actor())
        except OrgError as exc:
            error = _(str(exc))
        else:
            db.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("org.settings", agency_slug=g.agency.slug, org_slug=g.org.slug))
    return page("org/settings.html", "content", status=422 if error else 200, error=error)


@bp.route("/settings/uploads", methods=["POST"])
@org_view(admin=True)
def upload_retention():
    """How long uploaded files are kept (tenants.community.privacy.purge_uploads deletes them after)."""
    try:
        orgs.set_upload_retention(g.org, request.form.get("days", ""))
    except OrgError as exc:
        db.rollback()
        return page("org/settings.html", "content", status=422, retention_error=_(str(exc)))
    db.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("org.settings", agency_slug=g.agency.slug, org_slug=g.org.slug))


@bp.route("/settings/privacy", methods=["POST"])
@org_view(admin=True)
def privacy_url():
    """The privacy notice the public event registration page asks consent to."""
    try:
        orgs.set_privacy_url(g.org, request.form.get("privacy_url", ""))
    except OrgError as exc:
        db.rollback()
        return page("org/settings.html", "content", status=422, privacy_error=_(str(exc)))
    db.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("org.settings", agency_slug=g.agency.slug, org_slug=g.org.slug))


@bp.route("/archive", methods=["POST"])
@org_view(admin=True)
def archive():
    orgs.archive(db, g.org, actor())
    db.commit()
    flash(_("%(name)s is archived. Its data is kept; managers and clients no longer see it.",
            name=g.org.name), "info")
    return htmx_redirect(url_for("agency.home", agency_slug=g.agency.slug))


@bp.route("/restore", methods=["POST"])
@org_view(admin=True)
def restore():
    orgs.restore(db, g.org, actor())
    db.commit()
    flash(_("%(name)s is active again.", name=g.org.name), "success")
    return redirect(url_for("org.overview", agency_slug=g.agency.slug, org_slug=g.org.slug))


@bp.route("/recompute", methods=["POST"])
@org_view(write=True)
def recompute():
    """The dashboard's Recompute button: one full recompute; a second click joins the running one."""
    run, started = request_full(db, g.org.id, current_user.id, actor())     # commits
    if not wants_fragment():
        flash(_("Recomputing scores and metrics.") if started else _("A recompute is already running."), "info")
        return redirect(url_for("org.overview", agency_slug=g.agency.slug, org_slug=g.org.slug))
    return fragment("org/overview.html", "status", run=run, summary=_status(scoring.state(db, g.org.id)))
