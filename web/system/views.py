"""The landing redirect, the language switch and /healthz."""
from __future__ import annotations

from flask import current_app, jsonify, redirect, request, session, url_for
from flask_login import current_user
from redis import Redis

from tenants.accounts import users
from tenants.core.db import db, ping

from ..auth.session import safe_next
from ..extensions import LOCALES, csrf, limiter
from ..tenancy import home_agency_slug
from . import bp


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    slug = home_agency_slug()
    if slug is None:
        return redirect(url_for("account.settings"))
    return redirect(url_for("agency.home", agency_slug=slug))


@bp.route("/lang", methods=["POST"])
def set_language():
    lang = request.form.get("lang")
    if lang in LOCALES:
        session["lang"] = lang
        if current_user.is_authenticated:
            users.set_locale(users.attached(db, current_user.user), lang)
            db.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("system.index"))


@bp.route("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    """Each part and its state; 503 naming the parts that are down (the database; Redis, which holds the queue,
    the rate limits and the cache) when any is."""
    state = {"database": "ok", "redis": "ok"}
    try:
        ping(db)
    except Exception as exc:  # the point is to report any failure
        state["database"] = f"error: {type(exc).__name__}"
    url = current_app.config["COMMUNA"].redis_url
    if not url:
        state["redis"] = "not configured (jobs run in-process)"
    else:
        try:
            Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        except Exception as exc:
            state["redis"] = f"error: {type(exc).__name__} (the job queue is unavailable)"
    down = [part for part in ("database", "redis") if state[part].startswith("error")]
    state["status"] = "degraded" if down else "ok"
    state["down"] = down
    return jsonify(state), 503 if down else 200
