"""The scoring model page: the form, its preview, saving a version (which recomputes the scores)."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tenants import scoring
from tenants.community.models import ACTIVITY_TYPES
from tenants.core.db import db
from workers.scoring import request_full

from ..htmx import page
from ..labels import scoring_error
from ..tenancy import actor, org_view
from . import bp


def _submitted() -> scoring.Model:
    """The form as a model (raises ScoringError with the first invalid field)."""
    form = request.form
    return scoring.Model.from_settings({
        "weights": {t: form.get(f"weight_{t}", "") for t in ACTIVITY_TYPES},
        "thresholds": {s: form.get(f"threshold_{s}", "") for s in scoring.STAGES[1:]},
        "half_life_days": form.get("half_life_days", ""), "active_weeks": form.get("active_weeks", ""),
        "tenure_days": form.get("tenure_days", ""), "grace_days": form.get("grace_days", ""),
        "risk_days": form.get("risk_days", ""), "advocacy_types": form.getlist("advocacy_types"),
        "advocacy_nps": form.get("advocacy_nps") == "on", "advocacy_leader": form.get("advocacy_leader") == "on",
    })


def _render(model: scoring.Model, status: int = 200, error: str | None = None, preview: dict | None = None,
            block: str = "content"):
    return page("scoring/settings.html", block, status=status, model=model, error=error, preview=preview,
                types=ACTIVITY_TYPES, stages=scoring.STAGES, versions=scoring.versions(db, g.org.id))


@bp.route("/", methods=["GET", "POST"])
@org_view(write=True)
def settings():
    current = scoring.current_model(db, g.org.id)
    if request.method == "GET":
        db.commit()   # version 1 is saved on first look
        return _render(current)
    try:
        model = _submitted()
    except scoring.ScoringError as exc:
        return _render(current, 422, error=scoring_error(exc))
    if model.settings() == current.settings():
        flash(_("Nothing changed."), "info")
        return redirect(url_for("scoring.settings", agency_slug=g.agency.slug, org_slug=g.org.slug))
    saved = scoring.save_version(db, g.org, model, actor())
    request_full(db, g.org.id, current_user.id)       # scores of the new version; commits
    flash(_("Version %(v)s saved. Scores are being recomputed with it.", v=saved.version), "success")
    return redirect(url_for("org.overview", agency_slug=g.agency.slug, org_slug=g.org.slug))


@bp.route("/preview", methods=["POST"])
@org_view(write=True)
def preview():
    """How many members would change stage, and which way, if the form were saved now."""
    try:
        model = _submitted()
    except scoring.ScoringError as exc:
        return _render(scoring.current_model(db, g.org.id), 422, error=scoring_error(exc), block="preview")
    return _render(model, preview=scoring.preview(db, g.org.id, model), block="preview")
