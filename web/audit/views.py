"""The audit log page and its CSV export."""
from __future__ import annotations

from flask import request

from tenants.agency import jobs
from tenants.agency.jobs import AUDIT_EXPORT
from tenants.core import audit
from tenants.core.db import db
from workers.start import start_audit_export

from ..htmx import page
from ..params import integer
from ..tenancy import actor, agency_view
from . import bp

PAGE = 50


@bp.route("/")
@agency_view("owner", "admin")
def index():
    action = request.args.get("action") or None
    if action not in audit.ACTIONS:
        action = None
    offset = integer("offset", 0)
    rows, total = audit.page(db, action, offset, PAGE)
    return page("audit/index.html", "table", rows=rows, total=total, offset=offset, size=PAGE, action=action,
                actions=audit.ACTIONS, exports=jobs.recent(db, (AUDIT_EXPORT,), 3))


@bp.route("/export", methods=["POST"])
@agency_view("owner", "admin")
def export():
    action = request.form.get("action") or None
    if action not in audit.ACTIONS:
        action = None
    run = start_audit_export(db, action, actor())
    return page("jobs/show.html", "progress", run=run, file=None)
