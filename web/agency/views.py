"""The agency home, creating an organisation, the sidebar's organisation list."""
from __future__ import annotations

from flask import abort, g, redirect, request, session, url_for
from flask_babel import gettext as _

from tenants.agency import access, orgs
from tenants.agency.orgs import OrgError
from tenants.core.db import db
from tenants.segments import starters

from ..htmx import page
from ..tenancy import actor, agency_view
from . import bp


def _context(error: str | None = None, name: str = "") -> dict:
    m = g.membership
    return {
        "orgs": access.visible_orgs(db, m),
        "archived": access.visible_orgs(db, m, archived=True),
        "error": error,
        "new_name": name,
    }


@bp.route("/")
@agency_view()
def home():
    m = g.membership
    session["agency"] = g.agency.slug
    if m.is_client:
        visible = access.visible_orgs(db, m)
        if not visible:
            abort(404)
        return redirect(url_for("org.overview", agency_slug=g.agency.slug, org_slug=visible[0].slug))
    return page("agency/home.html", "org_list", **_context())


@bp.route("/orgs", methods=["POST"])
@agency_view("owner", "admin")
def create_org():
    name = request.form.get("name", "")
    try:
        org = orgs.create(db, name, actor())
        starters.add(db, org.id, actor())
    except OrgError as exc:
        return page("agency/home.html", "org_list", status=422, **_context(_(str(exc)), name))
    db.commit()
    return page("agency/home.html", "org_list", trigger={"orgs-changed": {"slug": org.slug}},
                created=org, **_context())


@bp.route("/nav")
@agency_view()
def nav():
    """The sidebar's organisation switcher, refreshed when `orgs-changed` fires."""
    return page("layout/app.html", "org_nav")
