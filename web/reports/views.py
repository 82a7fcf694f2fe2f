"""The report list with "Generate", a report's page, its notes, approve and publish, share links, the PDF, and
the segments reports show."""
from __future__ import annotations

from flask import Response, abort, g, request, url_for
from flask_babel import gettext as _

from tenants.agency import jobs
from tenants.core.db import db
from tenants.core.errors import DomainError
from tenants.core.sql import storable
from tenants.reports import links, service
from tenants.reports.models import NOTE_FIELDS, Report
from tenants.segments import service as segments
from workers import reports as report_jobs
from workers.reports import start_generation

from ..htmx import fragment, page
from ..htmx import redirect as htmx_redirect
from ..links import mail_base_url
from ..segments.words import starter_text
from ..tenancy import actor, org_view
from . import bp, render


def _client() -> bool:
    return g.membership.is_client


def _report(report_id: str) -> Report:
    r = service.by_public_id(db, g.org.id, report_id, published_only=_client()) if storable(report_id) else None
    if r is None:
        abort(404)
    return r


def _index_context(**extra) -> dict:
    context = {"groups": service.listing(db, g.org.id, published_only=_client()), "error": None, "run": None,
               "can_edit": not _client(), "default_month": service.last_month().start.strftime("%Y-%m")}
    if not _client():
        context.update(segments=segments.of_org(db, g.org.id), chosen=service.chosen_public_ids(db, g.org.id),
                       segment_name=lambda seg: starter_text(seg)[0])
    return {**context, **extra}


@bp.route("/")
@org_view()
def index():
    return page("reports/index.html", "content", **_index_context())


@bp.route("/generate", methods=["POST"])
@org_view(write=True)
def generate():
    form = request.form
    try:
        if form.get("kind") == "custom":
            p, monthly = service.custom_period(form.get("start"), form.get("end")), False
        else:
            p, monthly = service.month_period(form.get("month") or ""), True
    except DomainError as exc:
        return fragment("reports/index.html", "generator", 422, **_index_context(error=_(exc.template, **exc.params)))
    run = start_generation(db, g.org.id, p, monthly, actor())        # commits
    return fragment("reports/index.html", "generator", **_index_context(run=run))


@bp.route("/jobs/<job_id>")
@org_view(write=True)
def job(job_id: str):
    """The generation's progress; polls itself until the run is done, then links the new report."""
    run = jobs.by_public_id(db, job_id, org_id=g.org.id, kinds=[jobs.REPORT_GENERATE]) if storable(job_id) else None
    if run is None:
        abort(404)
    return fragment("reports/index.html", "generator", **_index_context(run=run))


@bp.route("/segments", methods=["POST"])
@org_view(write=True)
def choose_segments():
    try:
        service.set_segments(db, g.org.id, request.form.getlist("segment"), actor())
    except DomainError as exc:
        db.rollback()
        return fragment("reports/index.html", "chosen", 422, **_index_context(error=_(exc.template, **exc.params)))
    db.commit()
    return fragment("reports/index.html", "chosen", **_index_context(saved=True))


def _show_context(r: Report, **extra) -> dict:
    context = {**render.context(r, g.org, show_names=True), "can_edit": not _client(), "error": None,
               "new_link": None, "typed": r.notes}
    if not _client():
        context["links"] = [(link, links.state(link)) for link in links.of_report(db, r)]
    return {**context, **extra}


@bp.route("/<report_id>")
@org_view()
def show(report_id: str):
    return page("reports/show.html", "content", **_show_context(_report(report_id)))


@bp.route("/<report_id>/pdf")
@org_view()
def pdf(report_id: str):
    r = _report(report_id)
    return Response(render.pdf(r, g.org, show_names=True), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{render.filename(r, g.org)}"'})


def _step(report_id: str, do) -> Response:
    r = _report(report_id)
    try:
        do(db, r, actor())
    except DomainError as exc:
        db.rollback()
        return page("reports/show.html", "content", 409, **_show_context(r, error=_(exc.template, **exc.params)))
    db.commit()
    return htmx_redirect(url_for("reports.show", report_id=r.public_id, **_slug()))


def _slug() -> dict:
    return {"agency_slug": g.agency.slug, "org_slug": g.org.slug}


@bp.route("/<report_id>/notes", methods=["POST"])
@org_view(write=True)
def notes(report_id: str):
    r = _report(report_id)
    try:
        service.save_notes(db, r, request.form, actor())
    except DomainError as exc:
        db.rollback()
        typed = {name: request.form.get(name, "") for name in NOTE_FIELDS}       # nothing typed is lost
        return page("reports/show.html", "content", 422,
                    **_show_context(r, error=_(exc.template, **exc.params), typed=typed))
    db.commit()
    return htmx_redirect(url_for("reports.show", report_id=r.public_id, **_slug()))


@bp.route("/<report_id>/approve", methods=["POST"])
@org_view(write=True)
def approve(report_id: str):
    return _step(report_id, service.approve)


@bp.route("/<report_id>/publish", methods=["POST"])
@org_view(write=True)
def publish(report_id: str):
    return _step(report_id, report_jobs.publish)


@bp.route("/<report_id>/links", methods=["POST"])
@org_view(write=True)
def create_link(report_id: str):
    r = _report(report_id)
    try:
        days = _days(request.form.get("expires_days"))
        _link, token = links.create(db, r, actor(), days, show_names=request.form.get("show_names") == "1",
                                    label=(request.form.get("label") or "").strip())
    except DomainError as exc:
        db.rollback()
        return fragment("reports/show.html", "share", 422, **_show_context(r, error=_(exc.template, **exc.params)))
    db.commit()
    url = mail_base_url().rstrip("/") + url_for("report_share.view", token=token)
    return fragment("reports/show.html", "share", **_show_context(r, new_link=url))


def _days(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 4:
        raise service.ReportError("A link expires after 1 to %(days)s days.", days=links.MAX_DAYS)
    return int(raw)


@bp.route("/<report_id>/links/<link_id>/revoke", methods=["POST"])
@org_view(write=True)
def revoke_link(report_id: str, link_id: str):
    r = _report(report_id)
    link = links.by_public_id(db, r, link_id) if storable(link_id) else None
    if link is None:
        abort(404)
    links.revoke(db, link, actor())
    db.commit()
    return fragment("reports/show.html", "share", **_show_context(r))
