"""The sign-up, sign-in, password and invitation pages."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from tenants.accounts import signup as signups
from tenants.accounts import users
from tenants.accounts.users import AccountError
from tenants.agency import team
from tenants.core.audit import Actor
from tenants.core.db import db

from ..extensions import form_email, limiter
from ..links import mail_base_url
from . import bp
from .forms import AcceptExistingForm, AcceptNewForm, ForgotForm, LoginForm, NewPasswordForm, ResetForm, SignupForm
from .session import safe_next, sign_in, sign_out


def _settings():
    return current_app.config["COMMUNA"]


def _login_failed(response) -> bool:
    return bool(g.get("login_failed"))


def _signup_mail(kind: str, locale: str | None) -> tuple[str, str]:
    """The sign-up mail in `locale`: to a new address, or to the owner of an existing account."""
    with force_locale(locale or "en"):
        if kind == signups.NEW:
            return _("Finish creating your Communa agency"), _(
                "Hello {name},\n\nTo create the agency {agency} on Communa, open this link within 24 hours and "
                "choose your password:\n\n{link}\n\nIf it was not you, ignore this message: nothing is created "
                "without it.")
        return _("Someone tried to sign up with your address"), _(
            "Hello {name},\n\nSomeone (hopefully you) tried to sign up for Communa with this address, which "
            "already has an account.\n\nIf it was you, log in: {login}\nForgot your password? Reset it: {reset}"
            "\n\nTo create the agency {agency} under your account, open this link within 24 hours and enter "
            "your password:\n\n{link}\n\nIf it was not you, ignore this message: nothing has changed.")


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=form_email, scope="signup-account")
def signup():
    """The same answer whether or not the address has an account: the mail says which it is."""
    form = SignupForm()
    if form.validate_on_submit():
        req = signups.SignupRequest(form.email.data, form.name.data, form.agency_name.data, str(get_locale()))
        signups.request(db, req, mail_base_url(), _signup_mail)
        db.commit()
        return render_template("auth/signup.html", form=form, sent=True)
    return render_template("auth/signup.html", form=form, sent=False)


@bp.route("/signup/<signed:token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def finish_signup(token: str):
    pending = signups.open_request(token)
    if pending is None:
        return render_template("auth/finish_signup.html", pending=None, form=None), 404
    form = AcceptExistingForm() if pending.user_id else NewPasswordForm()
    if form.validate_on_submit():
        try:
            result = signups.complete(token, form.password.data, ip=request.remote_addr)
        except AccountError as exc:
            form.password.errors.append(_(str(exc)))
        else:
            if current_user.is_authenticated:
                sign_out(current_user._get_current_object())
            sign_in(users.find_user(db, result.user.email))
            flash(_("Welcome to Communa! Add your first client organisation."), "success")
            return redirect(url_for("agency.home", agency_slug=result.agency.slug))
    return render_template("auth/finish_signup.html", pending=pending, form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: _settings().login_limit_ip, methods=["POST"], deduct_when=_login_failed,
               scope="login-ip")
@limiter.limit(lambda: _settings().login_limit_account, methods=["POST"], key_func=form_email,
               deduct_when=_login_failed, scope="login-account")
def login():
    form = LoginForm(next=request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data) or url_for("system.index"))
    if form.validate_on_submit():
        user = users.authenticate(db, form.email.data, form.password.data)
        if user is not None:
            db.commit()
            sign_in(user)
            return redirect(safe_next(form.next.data) or url_for("system.index"))
        g.login_failed = True
        known = users.find_user(db, form.email.data)
        if known is not None:
            users.record_for_user(known, "login_failed", Actor(None, form.email.data, request.remote_addr))
        form.password.errors.append(_("Wrong email or password."))
    elif request.method == "POST":
        g.login_failed = True
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        sign_out(current_user._get_current_object())
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"], key_func=form_email, scope="reset-account")
@limiter.limit("30 per hour", methods=["POST"], scope="reset-ip")
def forgot_password():
    form = ForgotForm()
    if form.validate_on_submit():
        users.request_password_reset(
            db, form.email.data, mail_base_url(), _("Reset your Communa password"),
            _("Hello {name},\n\nSomeone (hopefully you) asked to reset your Communa password. "
              "Open this link within one hour to choose a new one:\n\n{link}\n\n"
              "If it was not you, ignore this message: your password stays as it is."))
        db.commit()
        return render_template("auth/forgot.html", form=form, sent=True)
    return render_template("auth/forgot.html", form=form, sent=False)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if not users.reset_token_valid(db, token):
        return render_template("auth/reset.html", form=None, invalid=True), 404
    form = ResetForm()
    if form.validate_on_submit():
        try:
            user = users.reset_password(db, token, form.password.data)
        except AccountError as exc:
            form.password.errors.append(_(str(exc)))
        else:
            db.commit()
            users.record_for_user(user, "password_reset", Actor(user.id, user.email, request.remote_addr))
            flash(_("Your password has been changed. Log in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, invalid=False)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def accept_invite(token: str):
    view = team.open_invitation(token)
    if view is None:
        return render_template("auth/invite.html", view=None, form=None), 404
    signed_in = current_user.user if current_user.is_authenticated else None
    same_user = signed_in is not None and signed_in.email == view.email
    form = AcceptExistingForm() if view.has_account else AcceptNewForm()
    if request.method == "POST" and (same_user or form.validate_on_submit()):
        try:
            user, slug = team.accept_invitation(
                token, name=getattr(form, "name", None) and form.name.data,
                password=form.password.data or "", signed_in=signed_in, ip=request.remote_addr)
        except AccountError as exc:
            form.password.errors.append(_(str(exc)))
        else:
            if not same_user:
                if current_user.is_authenticated:
                    sign_out(current_user._get_current_object())
                sign_in(users.find_user(db, user.email))
            flash(_("Welcome! You have joined %(agency)s.", agency=view.agency_name), "success")
            return redirect(url_for("agency.home", agency_slug=slug))
    return render_template("auth/invite.html", view=view, form=form, same_user=same_user)
