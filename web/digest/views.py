"""Digest pages. The settings page is for staff who work in the organisation (clients get 404); the
unsubscribe page needs no login: its token names one recipient of one organisation."""
from __future__ import annotations

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tenants.agency import jobs
from tenants.agency.models import JobRun, Organisation
from tenants.core.context import set_tenant
from tenants.core.db import db
from tenants.digest import service
from tenants.digest.service import DigestError

from ..extensions import limiter
from ..htmx import page
from ..labels import domain_message
from ..tenancy import actor, org_view
from . import bp

BASE = "/<agency_slug>/<org_slug>/digest"


def _running() -> bool:
    return db.scalar(select(JobRun.id).where(JobRun.org_id == g.org.id, JobRun.kind == jobs.DIGEST_SEND,
                                             JobRun.status.in_(("queued", "running"))).limit(1)) is not None


def _context(**extra) -> dict:
    conf = service.settings_of(db, g.org.id)
    return {"conf": conf, "people": service.recipients(db, g.org.id), "gone": service.unsubscribed(db, g.org.id),
            "log": service.deliveries(db, g.org.id), "running": _running(),
            "extra_text": "\n".join(conf.extra), **extra}


@bp.route(BASE + "/", methods=["GET", "POST"])
@org_view(write=True)
def index():
    if request.method == "POST":
        text = request.form.get("extra", "")[:20_000]
        try:
            service.update(db, g.org.id, actor(), weekly=request.form.get("weekly") == "on",
                           paused=request.form.get("paused") == "on", extra=text)
        except DigestError as exc:
            db.rollback()
            return page("digest/index.html", "content", 422, **_context(
                error=domain_message(exc.template, exc.params), extra_text=text))
        db.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("digest.index", agency_slug=g.agency.slug, org_slug=g.org.slug))
    return page("digest/index.html", "content", fragments=["log"], **_context())


@bp.route(BASE + "/test", methods=["POST"])
@org_view(write=True)
def test():
    """A test digest to the person asking, through the same job as the real ones."""
    jobs.record(db, jobs.DIGEST_SEND, g.org.id, {"kind": "test", "to": current_user.email},
                created_by=current_user.id)
    jobs.commit(db)
    flash(_("A test digest is on its way to %(email)s.", email=current_user.email), "success")
    return redirect(url_for("digest.index", agency_slug=g.agency.slug, org_slug=g.org.slug))


@bp.after_request
def _private(response: Response) -> Response:
    if request.endpoint == "digest.unsubscribe":
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/digest/unsubscribe/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute")
def unsubscribe(token: str):
    """GET asks, POST does: a mail scanner following the link unsubscribes nobody."""
    place = service.locate(token)
    if place is None:
        abort(404)
    set_tenant(*place)
    rec = service.by_token(db, token)
    if rec is None:
        abort(404)
    if request.method == "POST":
        if request.form.get("action") == "resubscribe":
            service.resubscribe(db, rec)
        else:
            service.unsubscribe(db, rec)
        db.commit()
    org = db.get(Organisation, rec.org_id)
    return page("digest/unsubscribe.html", "content", rec=rec, org=org, token=token)
