from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional

from tenants.events.public import ANSWER_MAX


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class RegisterForm(FlaskForm):
    """Name, email and consent; the optional fields the event does not ask are removed (`for_event`)."""
    name = StringField(_l("Your name"), validators=[InputRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[InputRequired(), Email(), Length(max=254)], filters=[_strip])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=ANSWER_MAX["phone"])])
    city = StringField(_l("City"), validators=[Optional(), Length(max=ANSWER_MAX["city"])])
    company = StringField(_l("Company"), validators=[Optional(), Length(max=ANSWER_MAX["company"])])
    telegram = StringField(_l("Telegram username"), validators=[Optional(), Length(max=ANSWER_MAX["telegram"])])
    comment = TextAreaField(_l("Anything the organisers should know?"),
                            validators=[Optional(), Length(max=ANSWER_MAX["comment"])])
    consent = BooleanField(validators=[InputRequired(message=_l("Please agree to register."))])

    OPTIONAL = ("phone", "city", "company", "telegram", "comment")

    @classmethod
    def for_event(cls, asked: list[str]) -> RegisterForm:
        form = cls()
        for name in cls.OPTIONAL:
            if name not in asked:
                delattr(form, name)
        return form

    def optional_fields(self) -> list:
        return [self[name] for name in self.OPTIONAL if name in self]


class CancelForm(FlaskForm):
    pass


class SurveyForm(FlaskForm):
    score = RadioField(choices=[SelectChoice(str(n), str(n)) for n in range(11)],
                       validators=[InputRequired(message=_l("Choose a score from 0 to 10."))])
    comment = TextAreaField(_l("What should we keep or change? (optional)"), validators=[Optional(), Length(max=2000)])
