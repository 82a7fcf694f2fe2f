"""The share pages: /r/<token> and /r/<token>.pdf, no sign-in. The token is looked up across tenants once (a
system read that answers only the tenant and the link it names); the page then runs in that organisation's
tenant. An unknown, revoked or expired token, or a report no longer published, is a plain 404."""
from __future__ import annotations

from flask import Response, abort, render_template

from tenants.core.context import set_tenant
from tenants.core.db import db
from tenants.reports import links

from ..extensions import limiter
from . import render, share_bp

PAGE_LIMIT = "60 per minute"


@share_bp.after_request
def _private(response: Response) -> Response:
    """The URL is a secret: kept out of caches and search engines."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _open(token: str):
    place = links.locate(token)
    if place is None:
        abort(404)
    set_tenant(place.agency_id, place.org_id)
    found = links.open_link(db, place)
    if found is None:
        abort(404)
    db.commit()
    return found


@share_bp.route("/r/<token>")
@limiter.limit(PAGE_LIMIT)
def view(token: str):
    link, report, org = _open(token)
    return render_template("reports/share.html", token=token, **render.context(report, org, link.show_names))


@share_bp.route("/r/<token>.pdf")
@limiter.limit(PAGE_LIMIT)
def view_pdf(token: str):
    link, report, org = _open(token)
    return Response(render.pdf(report, org, link.show_names), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{render.filename(report, org)}"'})
