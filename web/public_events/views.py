"""The registration form, the ticket and the survey. Each secret is looked up across tenants once (a system
read that answers only the tenant and the row it names); the page then runs in that organisation's tenant like
any other. Rate-limited per address, and per event and email for the form (a ticket is re-sent at most so
often)."""
from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from tenants.community.values import ItemError
from tenants.core.context import set_tenant
from tenants.core.db import db
from tenants.core.i18n import LANGUAGES
from tenants.events import notify, public, qr, registrations, survey
from tenants.events.events import EventError

from ..extensions import limiter
from . import bp
from .forms import CancelForm, RegisterForm, SurveyForm

PAGE_LIMIT = "60 per minute"


def _per_event_email() -> str:
    return "event-email:" + (request.view_args or {}).get("token", "") + ":" + \
        (request.form.get("email") or "").strip().lower()


@bp.after_request
def _private(response: Response) -> Response:
    """The pages carry personal data and their URLs a secret: kept out of caches and search engines (and, by the
    pages' meta referrer, out of the Referer their links send)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _enter(place: public.Place | None):
    if place is None:
        abort(404)
    set_tenant(place.agency_id, place.org_id)
    event, org, reg = public.load(db, place)
    if event is None or (place.registration_id is not None and reg is None):
        abort(404)
    g.public_org = org
    return event, org, reg


def _lang() -> str:
    lang = str(get_locale())
    return lang if lang in LANGUAGES else "en"


@bp.route("/e/<token>", methods=["GET", "POST"])
@limiter.limit(PAGE_LIMIT, methods=["GET"])
@limiter.limit("30 per hour", methods=["POST"], scope="event-register")
@limiter.limit("3 per hour", methods=["POST"], key_func=_per_event_email, scope="event-register-email")
def register(token: str):
    event, org, _reg = _enter(public.event_place(token))
    form = RegisterForm.for_event(event.form_fields or [])
    state = public.state(event)
    done = None
    if state == "open" and form.validate_on_submit():
        done = _join(event, form)
    return render_template("public_events/register.html", event=event, org=org, form=form, state=state,
                           done=done, when=notify.when(event, _lang()), spots=public.availability(db, event))


def _join(event, form: RegisterForm) -> dict | None:
    answers = {f.name: f.data for f in form.optional_fields()}
    try:
        joined = public.join(db, event, form.name.data, form.email.data, public.answers_of(event, answers), _lang())
    except ItemError as exc:
        db.rollback()
        form.email.errors.append(_(exc.template, **exc.params))
        return None
    except EventError:
        db.rollback()
        form.email.errors.append(_("This address cannot register for this event. Contact the organisers."))
        return None
    reg = joined.registration
    notify.ticket(db, event, reg, joined.member)     # a second registration re-sends it
    db.commit()
    outcome = reg.status if joined.created else "already"
    return {"outcome": outcome, "email": joined.member.email}


@bp.route("/t/<token>")
@limiter.limit(PAGE_LIMIT)
def ticket(token: str):
    event, org, reg = _enter(public.ticket_place(token))
    return render_template("public_events/ticket.html", event=event, org=org, reg=reg,
                           when=notify.when(event, _lang()), state=public.state(event),
                           qr=qr.svg(reg.ticket) if reg.status == "registered" else None, form=CancelForm())


@bp.route("/t/<token>/event.ics")
@limiter.limit(PAGE_LIMIT)
def calendar(token: str):
    event, org, reg = _enter(public.ticket_place(token))
    body = public.calendar(event, org.name, notify.link(notify.TICKET_PATH, reg.ticket),
                           with_link=reg.status == "registered")
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="event-{event.public_id}.ics"'})


@bp.route("/t/<token>/cancel", methods=["POST"])
@limiter.limit("10 per hour")
def cancel(token: str):
    event, org, reg = _enter(public.ticket_place(token))
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    if public.state(event) == "ended" or reg.checked_in_at is not None:
        flash(_("This registration can no longer be cancelled."), "error")
        return redirect(url_for("public_events.ticket", token=token), 303)
    promoted = registrations.cancel(db, reg, event)
    if promoted is not None:
        notify.promoted(db, event, promoted)
    db.commit()
    flash(_("Your registration is cancelled. Thank you for letting us know."), "success")
    return redirect(url_for("public_events.ticket", token=token), 303)


@bp.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit(PAGE_LIMIT, methods=["GET"])
@limiter.limit("10 per hour", methods=["POST"], scope="event-survey")
def answer(token: str):
    event, org, reg = _enter(public.survey_place(token))
    form = SurveyForm()
    outcome = "already" if reg.survey_score is not None else ("open" if survey.is_open(reg) else "closed")
    if outcome == "open" and form.validate_on_submit():
        try:
            fresh = survey.answer(db, event, reg, form.score.data, form.comment.data)
        except ItemError as exc:
            form.score.errors.append(_(exc.template, **exc.params))
        else:
            db.commit()
            outcome = "thanks" if fresh else "already"
    return render_template("public_events/survey.html", event=event, org=org, form=form, outcome=outcome,
                           when=notify.when(event, _lang()))
