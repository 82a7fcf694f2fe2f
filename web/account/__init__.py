"""The signed-in user's own account: name, language, password, sessions, agencies."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length

from tenants.accounts import users
from tenants.accounts.users import AccountError
from tenants.agency import team
from tenants.core.audit import Actor
from tenants.core.db import db

from ..auth.forms import PASSWORD
from ..auth.session import SignedInUser, sign_in
from ..extensions import LOCALES

bp = Blueprint("account", __name__, url_prefix="/account")


class ProfileForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[InputRequired(), Length(max=120)])
    locale = SelectField(_l("Language"), choices=[SelectChoice("en", "English"), SelectChoice("ru", "Русский")])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[InputRequired()])
    password = PasswordField(_l("New password"), validators=PASSWORD)
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[InputRequired(), EqualTo("password", message=_l("Passwords do not match."))])


def _user():
    return db.merge(current_user.user)


@bp.route("/", methods=["GET"])
@login_required
def settings():
    profile = ProfileForm(name=current_user.name, locale=current_user.locale or "en")
    return _render(profile, PasswordForm())


def _render(profile, password_form, status=200):
    sessions = users.active_sessions(db, current_user.user)
    return render_template("account/settings.html", profile=profile, password_form=password_form,
                           sessions=sessions, agencies=team.agencies_of(current_user.id)), status


@bp.route("/profile", methods=["POST"])
@login_required
def save_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _render(form, PasswordForm(), 422)
    user = _user()
    user.name = form.name.data.strip()
    if form.locale.data in LOCALES:
        user.locale = form.locale.data
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
