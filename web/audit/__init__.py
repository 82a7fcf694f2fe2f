"""The agency's audit log: browse, filter, export as CSV through a job."""
from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user

from tenants.agency import jobs
from tenants.core import audit
from tenants.core.db import db

from ..htmx import page
from ..tenancy import actor, agency_view

bp = Blueprint("audit", __name__, url_prefix="/<agency_slug>/audit")
PAGE = 50


@bp.route("/")
@agency_view("owner", "admin")
def index():
    action = request.args.get("action") or None
    if action not in audit.ACTIONS:
        action = None
    offset = max(0, request.args.get("offset", 0, type=int))
    rows, total = audit.page(db, action, offset, PAGE)
    return page("audit/index.html", "table", rows=rows, total=total, offset=offset, size=PAGE, action=action,
                actions=audit.ACTIONS, exports=jobs.recent(db, "audit_export", 3))


@bp.route("/export", methods=["POST"])
@agency_view("owner", "admin")
def export():
    from workers import enqueue
    action = request.form.get("action") or None
    if action not in audit.ACTIONS:
        action = None
    audit.record(db, "export_started", actor(), target="audit_log")
    run = enqueue(db, "audit_export", params={"action": action}, created_by=current_user.id)
    return page("jobs/show.html", "progress", run=run, file=None)
