"""The people page: invitations, roles, removal."""
from __future__ import annotations

from flask import abort, g, request
from flask_babel import gettext as _

from tenants.agency import access, team
from tenants.agency.team import TeamError
from tenants.core.db import db

from ..htmx import page
from ..labels import ROLES
from ..links import mail_base_url
from ..tenancy import actor, agency_view
from . import bp
from .forms import InviteForm


def _org_ids() -> list[int]:
    """Organisation public ids from the form, turned into ids of this agency's organisations."""
    wanted = set(request.form.getlist("orgs"))
    return [o.id for o in access.visible_orgs(db, g.membership) if o.public_id in wanted]


def _context(**extra) -> dict:
    ctx = {"people": team.people(db), "invitations": team.pending_invitations(db),
           "orgs": access.visible_orgs(db, g.membership), "roles": ROLES,
           "form": extra.pop("form", None) or InviteForm(formdata=None), "editing": None, "error": None}
    ctx.update(extra)
    return ctx


@bp.route("/")
@agency_view("owner", "admin")
def index():
    return page("team/index.html", "people", **_context())


@bp.route("/invite", methods=["POST"])
@agency_view("owner", "admin")
def invite():
    form = InviteForm()
    if not form.validate_on_submit():
        return page("team/index.html", "invite", status=422, **_context(form=form))
    try:
        team.invite(db, g.agency, form.email.data, form.role.data, _org_ids(), g.membership.role, actor(),
                    mail_base_url(), _("You are invited to %(agency)s on Communa", agency=g.agency.name),
                    _("Hello,\n\nYou are invited to join {agency} on Communa. Open this link within 7 days "
                      "to accept:\n\n{link}\n\nIf you did not expect this, ignore this message."))
        db.commit()
    except TeamError as exc:
        form.email.errors.append(_(str(exc)))
        return page("team/index.html", "invite", status=422, **_context(form=form))
    return page("team/index.html", "invite", trigger="people-changed",
                **_context(sent=form.email.data.strip().lower()))


@bp.route("/invitations/<invitation_id>/revoke", methods=["POST"])
@agency_view("owner", "admin")
def revoke(invitation_id: str):
    if not team.revoke_invitation(db, invitation_id, actor()):
        abort(404)
    db.commit()
    return page("team/index.html", "people", **_context())


@bp.route("/<user_id>/edit")
@agency_view("owner", "admin")
def edit(user_id: str):
    person = next((p for p in team.people(db) if p.user.public_id == user_id), None)
    if person is None:
        abort(404)
    return page("team/index.html", "people", **_context(editing=person))


@bp.route("/<user_id>/role", methods=["POST"])
@agency_view("owner", "admin")
def change_role(user_id: str):
    try:
        team.change_role(db, user_id, request.form.get("role", ""), _org_ids(), g.membership.role, actor())
    except LookupError:
        abort(404)
    except TeamError as exc:
        db.rollback()
        person = next((p for p in team.people(db) if p.user.public_id == user_id), None)
        return page("team/index.html", "people", status=422, **_context(editing=person, error=_(str(exc))))
    db.commit()
    return page("team/index.html", "people", trigger="people-changed", **_context())


@bp.route("/<user_id>/remove", methods=["POST"])
@agency_view("owner", "admin")
def remove(user_id: str):
    try:
        team.remove(db, user_id, g.membership.role, actor())
    except LookupError:
        abort(404)
    except TeamError as exc:
        db.rollback()
        return page("team/index.html", "people", status=422, **_context(error=_(str(exc))))
    db.commit()
    return page("team/index.html", "people", trigger="people-changed", **_context())
