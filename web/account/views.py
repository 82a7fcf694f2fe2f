"""The account page: profile, password, sessions."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tenants.accounts import users
from tenants.accounts.users import AccountError
from tenants.agency import team
from tenants.core.audit import Actor
from tenants.core.db import db

from ..auth.session import SignedInUser, sign_in
from ..extensions import LOCALES
from ..tenancy import enter_home_agency
from . import bp
from .devices import device_name
from .forms import PasswordForm, ProfileForm


def _user():
    return users.attached(db, current_user.user)


@bp.route("/", methods=["GET"])
@login_required
def settings():
    profile = ProfileForm(name=current_user.name, locale=current_user.locale or "en")
    return _render(profile, PasswordForm())


def _render(profile, password_form, status=200):
    enter_home_agency()             # the page keeps the app's sidebar, in the agency the user works in
    sessions = users.active_sessions(db, current_user.user)
    return render_template("account/settings.html", profile=profile, password_form=password_form,
                           sessions=sessions, agencies=team.agencies_of(current_user.id),
                           device_name=device_name), status


@bp.route("/profile", methods=["POST"])
@login_required
def save_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _render(form, PasswordForm(), 422)
    users.update_profile(_user(), form.name.data, form.locale.data if form.locale.data in LOCALES else None)
    db.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("account.settings"))


@bp.route("/password", methods=["POST"])
@login_required
def change_password():
    form = PasswordForm()
    profile = ProfileForm(name=current_user.name, locale=current_user.locale or "en")
    if not form.validate_on_submit():
        return _render(profile, form, 422)
    user = _user()
    try:
        users.change_password(db, user, form.current.data, form.password.data)
    except AccountError as exc:
        form.current.errors.append(_(str(exc)))
        return _render(profile, form, 422)
    db.commit()
    users.record_for_user(user, "password_changed", Actor(user.id, user.email, request.remote_addr))
    sign_in(user)  # every old session (and cookie) is dead; this browser gets a new one
    flash(_("Password changed. You were signed out everywhere else."), "success")
    return redirect(url_for("account.settings"))


@bp.route("/sessions/revoke-others", methods=["POST"])
@login_required
def revoke_other_sessions():
    me: SignedInUser = current_user._get_current_object()
    for s in users.active_sessions(db, me.user):
        if s.id != me.key:
            users.revoke_session(db, s.id)
    db.commit()
    flash(_("Other sessions signed out."), "success")
    return redirect(url_for("account.settings"))
