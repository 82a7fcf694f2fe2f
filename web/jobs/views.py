"""A job's page, its progress fragment, and its file."""
from __future__ import annotations

from flask import Response, abort, g

from tenants.agency import jobs
from tenants.agency.jobs import IMPORT_KINDS
from tenants.agency.models import JobRun
from tenants.core.db import db

from ..htmx import page
from ..tenancy import agency_view
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


@bp.route("/<job_id>")
@agency_view("owner", "admin", "manager")
def show(job_id: str):
    run = _visible(job_id)
    return page("jobs/show.html", "progress", run=run, file=jobs.file_of(db, run) if run.status == "done" else None,
                kept_nothing=run.kind not in IMPORT_KINDS)       # an import keeps the batches it wrote


@bp.route("/<job_id>/download")
@agency_view("owner", "admin", "manager")
def download(job_id: str):
    run = _visible(job_id)
    f = jobs.file_of(db, run)
    if f is None:
        abort(404)
    return Response(f.content, mimetype=f.content_type.split(";")[0],
                    headers={"Content-Disposition": f'attachment; filename="{f.filename}"'})
