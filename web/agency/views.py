"""The agency home (the portfolio of its client organisations, with what needs attention), its CSV, creating
an organisation, the sidebar's organisation list."""
from __future__ import annotations

from flask import Response, abort, current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _

from tenants import portfolio
from tenants.agency import access, orgs
from tenants.agency.orgs import OrgError
from tenants.core.db import db
from tenants.segments import starters

from ..htmx import page
from ..tenancy import actor, agency_view
from . import bp

TABLE = {"portfolio-table": "portfolio_table"}      # a sort link swaps only the table


def _links() -> dict[str, str]:
    """Where a goal behind and a report waiting lead: the goals and reports pages where the app has them."""
    has = current_app.view_functions
    return {"goals": "goals.index" if "goals.index" in has else "org.overview",
            "reports": "reports.index" if "reports.index" in has else "org.overview"}


def _context(error: str | None = None, name: str = "") -> dict:
    m = g.membership
    visible = access.visible_orgs(db, m)
    sort = request.args.get("sort")
    rows = portfolio.rows(db, visible, sort)
    return {
        "orgs": visible,
        "rows": rows,
        "attention": [r for r in portfolio.ordered(rows, None) if r.attention],
        "sort": portfolio.parse_sort(sort),
        "archived": access.visible_orgs(db, m, archived=True),
        "error": error,
        "new_name": name,
        "links": _links(),
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
    return page("agency/home.html", "org_list", fragments=TABLE, **_context())


@bp.route("/portfolio.csv")
@agency_view("owner", "admin", "manager")
def portfolio_csv():
    """The portfolio's rows and columns as CSV (the organisations the user may see, in the page's order)."""
    rows = portfolio.rows(db, access.visible_orgs(db, g.membership), request.args.get("sort"))
    return Response(portfolio.csv_text(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{g.agency.slug}-portfolio.csv"'})


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
