"""One client organisation: its overview and settings."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from tenants import orgs
from tenants.db import db
from tenants.models import AgencyRole, OrgAccess, User
from tenants.orgs import OrgError

from ..htmx import page, redirect_htmx
from ..tenancy import actor, org_view

bp = Blueprint("org", __name__, url_prefix="/<agency_slug>/<org_slug>")


def _people_with_access() -> list[tuple[User, str]]:
    """Who works on or reads this organisation: assigned managers and clients (admins see all orgs)."""
    rows = db.execute(select(User, OrgAccess.role).join(OrgAccess, OrgAccess.user_id == User.id)
                      .where(OrgAccess.org_id == g.org.id).order_by(User.name)).all()
    admins = db.execute(select(User, AgencyRole.role).join(AgencyRole, AgencyRole.user_id == User.id)
                        .where(AgencyRole.role.in_(("owner", "admin"))).order_by(User.name)).all()
    return [(u, r) for u, r in admins] + [(u, r) for u, r in rows]


@bp.route("/")
@org_view()
def overview():
    people = _people_with_access() if not g.membership.is_client else []
    return page("org/overview.html", "content", people=people)


@bp.route("/settings", methods=["GET", "POST"])
@org_view(admin=True)
def settings():
    error = None
    if request.method == "POST":
        try:
            orgs.rename(db, g.org, request.form.get("name", ""), actor())
        except OrgError as exc:
            error = _(str(exc))
        else:
            db.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("org.settings", agency_slug=g.agency.slug, org_slug=g.org.slug))
    return page("org/settings.html", "content", status=422 if error else 200, error=error)


@bp.route("/archive", methods=["POST"])
@org_view(admin=True)
def archive():
    orgs.archive(db, g.org, actor())
    db.commit()
    flash(_("%(name)s is archived. Its data is kept; managers and clients no longer see it.",
            name=g.org.name), "info")
    return redirect_htmx(url_for("agency.home", agency_slug=g.agency.slug))


@bp.route("/restore", methods=["POST"])
@org_view(admin=True)
def restore():
    orgs.restore(db, g.org, actor())
    db.commit()
    flash(_("%(name)s is active again.", name=g.org.name), "success")
    return redirect(url_for("org.overview", agency_slug=g.agency.slug, org_slug=g.org.slug))
