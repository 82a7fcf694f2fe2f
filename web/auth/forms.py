from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length

PASSWORD = [InputRequired(), Length(min=10, max=200, message=_l("Password must be at least 10 characters."))]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])
    next = HiddenField()


class SignupForm(FlaskForm):
    agency_name = StringField(_l("Agency name"), validators=[InputRequired(), Length(max=120)])
    name = StringField(_l("Your name"), validators=[InputRequired(), Length(max=120)])
    email = EmailField(_l("Work email"), validators=[InputRequired(), Email(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("Choose a password"), validators=PASSWORD)


class ForgotForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Email()])


class ResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=PASSWORD)
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[InputRequired(), EqualTo("password", message=_l("Passwords do not match."))])


class AcceptNewForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[InputRequired(), Length(max=120)])
    password = PasswordField(_l("Choose a password"), validators=PASSWORD)


class AcceptExistingForm(FlaskForm):
    password = PasswordField(_l("Password of your account"), validators=[InputRequired()])
