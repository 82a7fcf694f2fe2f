"""A job's page, its progress fragment, its file, and "Run again" for a failed job."""
from __future__ import annotations

from flask import Response, abort, g, url_for

from tenants.agency import jobs
from tenants.agency.jobs import IMPORT_KINDS
from tenants.agency.models import JobRun
from tenants.community.imports.csvfile import FileError
from tenants.core.db import db
from workers.start import rerun as start_again

from ..htmx import page, redirect
from ..labels import domain_message
from ..tenancy import actor, agency_view
from . import bp


def _visible(job_id: str) -> JobRun:
    """The run, if the user may see it: agency-wide work for owners and admins, an organisation's work for whoever
    works in that organisation."""
    run = jobs.by_public_id(db, job_id)
    if run is None:
        abort(404)
    m = g.membership
    if run.org_id is None:
        if not m.is_admin:
            abort(404)
    else:
        org = jobs.organisation_of(db, run)
        if org is None or not m.can_work_in_org(org):
            abort(404)
    return run


def _read(job_id: str) -> JobRun:
    """A visible run, failed as lost first if its worker stopped sending its heartbeat."""
    run = _visible(job_id)
    if jobs.silent(run):
        jobs.check_alive(db, run)
        db.commit()
    return run


@bp.route("/<job_id>")
@agency_view("owner", "admin", "manager")
def show(job_id: str):
    run = _read(job_id)
    return page("jobs/show.html", "progress", run=run, file=jobs.file_of(db, run) if run.status == "done" else None,
                kept_nothing=run.kind not in IMPORT_KINDS)       # an import keeps the batches it wrote


@bp.route("/<job_id>/rerun", methods=["POST"])
@agency_view("owner", "admin", "manager")
def rerun(job_id: str):
    """Start a failed job again: the same work, through the path that started it. A second click joins it."""
    run = _read(job_id)
    if run.status != "failed":
        abort(404)
    try:
        again = start_again(db, run, actor())
    except FileError as exc:
        db.rollback()
        return page("jobs/show.html", "progress", 409, run=run, file=None, kept_nothing=run.kind not in IMPORT_KINDS,
                    rerun_error=domain_message(exc.template, exc.params))
    return redirect(_page_of(again))


def _page_of(run: JobRun) -> str:
    if run.kind in IMPORT_KINDS:
        org = jobs.organisation_of(db, run)
        return url_for("imports.show", agency_slug=g.agency.slug, org_slug=org.slug, job_id=run.public_id)
    return url_for("jobs.show", agency_slug=g.agency.slug, job_id=run.public_id)


@bp.route("/<job_id>/download")
@agency_view("owner", "admin", "manager")
def download(job_id: str):
    run = _visible(job_id)
    f = jobs.file_of(db, run)
    if f is None:
        abort(404)
    return Response(f.content, mimetype=f.content_type.split(";")[0],
                    headers={"Content-Disposition": f'attachment; filename="{f.filename}"'})
