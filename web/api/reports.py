"""Published reports over the API: the list and one report, with their frozen KPI figures. Needs members:read."""
from __future__ import annotations

from flask import g, jsonify

from tenants.core.db import db
from tenants.core.sql import storable
from tenants.reports import service
from tenants.reports.models import Report

from . import bp
from .views import _require, error


def as_dict(r: Report) -> dict:
    return {"id": r.public_id, "period": {"start": r.period_start.isoformat(), "end": r.period_end.isoformat()},
            "version": r.version, "status": r.status, "figures": r.figures}


@bp.route("/reports")
def list_reports():
    _require("members:read")
    return jsonify({"reports": [as_dict(r) for _period, versions in
                                service.listing(db, g.api_key.org_id, published_only=True) for r in versions]})


@bp.route("/reports/<report_id>")
def get_report(report_id: str):
    _require("members:read")
    r = service.by_public_id(db, g.api_key.org_id, report_id, published_only=True) if storable(report_id) else None
    return jsonify(as_dict(r)) if r else error(404, "not found")
