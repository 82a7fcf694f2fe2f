"""A job's progress (page and self-polling fragment) and the file it produced."""
from __future__ import annotations

from flask import Blueprint, Response, abort, g

from tenants.agency import jobs
from tenants.agency.models import JobRun, Organisation
from tenants.core.db import db

from ..htmx import page
from ..tenancy import agency_view

bp = Blueprint("jobs", __name__, url_prefix="/<agency_slug>/jobs")


def _visible(job_id: str) -> JobRun:
    run = jobs.by_public_id(db, job_id)
    if run is None:
        abort(404)
    m = g.membership
    if run.org_id is None:
        if not m.is_admin:
            abort(404)
    else:
        org = db.get(Organisation, run.org_id)
        if org is None or not m.can_work_in_org(org):
            abort(404)
    return run


@bp.route("/<job_id>")
@agency_view("owner", "admin", "manager")
def show(job_id: str):
    run = _visible(job_id)
    return page("jobs/show.html", "progress", run=run, file=jobs.file_of(db, run) if run.finished else None)


@bp.route("/<job_id>/download")
@agency_view("owner", "admin", "manager")
def download(job_id: str):
    run = _visible(job_id)
    f = jobs.file_of(db, run)
    if f is None:
        abort(404)
    return Response(f.content, mimetype=f.content_type.split(";")[0],
                    headers={"Content-Disposition": f'attachment; filename="{f.filename}"'})
