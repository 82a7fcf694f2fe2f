"""Flask app factory. Only HTTP lives in web/: it resolves the tenant and calls tenants/ services."""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Flask, g, request, session
from flask_babel import format_date, format_datetime, format_decimal, format_percent, get_locale
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from tenants import kpis
from tenants.agency import access
from tenants.core.config import ROOT, ConfigError, Settings, configure
from tenants.core.context import clear_tenant
from tenants.core.db import db, init_engine
from tenants.kpis.format import percent_pattern, value_text

from . import cli, errors, labels, params
from .account import bp as account_bp
from .agency import bp as agency_bp
from .api import bp as api_bp
from .audit import bp as audit_bp
from .auth import bp as auth_bp
from .auth.session import load_signed_in
from .branding import bp as branding_bp
from .checkin import bp as checkin_bp
from .digest import bp as digest_bp
from .events import bp as events_bp
from .extensions import LOCALES, babel, cache, csrf, htmx_ext, limiter, login_manager, talisman
from .goals import bp as goals_bp
from .htmx import VARY
from .imports import bp as imports_bp
from .integrations import bp as integrations_bp
from .jobs import bp as jobs_bp
from .labels import (
    action_label,
    activity_label,
    channel_label,
    field_label,
    job_failure,
    job_label,
    label_pairs,
    role_label,
    scoring_failed,
    stage_label,
)
from .leaders import bp as leaders_bp
from .members import bp as members_bp
from .org import bp as org_bp
from .public_events import bp as public_events_bp
from .reports import bp as reports_bp
from .reports import share_bp as report_share_bp
from .scoring import bp as scoring_bp
from .segments import bp as segments_bp
from .system import bp as system_bp
from .team import bp as team_bp
from .tenancy import user_agencies

BLUEPRINTS = (api_bp, system_bp, auth_bp, account_bp, team_bp, audit_bp, jobs_bp, agency_bp, org_bp,
              integrations_bp, members_bp, imports_bp, scoring_bp, segments_bp, leaders_bp, events_bp, checkin_bp,
              public_events_bp, digest_bp, goals_bp, reports_bp, report_share_bp,
              branding_bp)

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _percent_pattern(decimals: int) -> str:
    return percent_pattern(get_locale(), decimals)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings.check()
    except ConfigError as exc:
        logging.getLogger("communa").critical("not starting: %s", exc)
        raise
    configure(settings)
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder="static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="communa_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_DURATION=0,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the (revocable) session
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "translations"),
        RATELIMIT_STORAGE_URI=_limiter_storage(settings),
        RATELIMIT_KEY_PREFIX="communa",
        # Redis down: the limits are counted in this process's memory (Flask-Limiter logs "Rate limit storage
        # unreachable - falling back to in-memory storage") and Redis is tried again with backoff; a limiter error
        # never fails a request.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 1, "socket_timeout": 1},
        # Rendered dashboard panels (web/org): shared by every web process through Redis when there is one.
        CACHE_TYPE="RedisCache" if settings.redis_url else "SimpleCache",
        CACHE_REDIS_URL=settings.redis_url,
        CACHE_KEY_PREFIX="communa:cache:",
        CACHE_DEFAULT_TIMEOUT=600,
        # Redis down: the panels render uncached (web.extensions.cached), after at most a second's wait.
        CACHE_OPTIONS={"socket_connect_timeout": 1, "socket_timeout": 1} if settings.redis_url else None,
        COMMUNA=settings,
    )
    if settings.trusted_proxies:
        # Each trusted proxy appends one X-Forwarded-For value: the one that many from the right is the client
        # (request.remote_addr, which the rate limits and the audit log read). Values further left, and the
        # header on a request that came through no proxy, are the client's own word and are ignored. The host
        # is never taken from a header: links in mails come from PUBLIC_URL.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=0, x_port=0, x_prefix=0)
    init_engine(settings.database_url, settings.system_database_url)

    htmx_ext.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    cache.init_app(app)
    talisman.init_app(
        app, force_https=False, content_security_policy=CSP, frame_options="DENY",
        strict_transport_security=True,  # Talisman only sends HSTS on https requests
        referrer_policy="strict-origin-when-cross-origin", session_cookie_secure=settings.session_cookie_secure,
        session_cookie_http_only=True, session_cookie_samesite="Lax",
    )

    app.url_map.converters["default"] = params.PathValue     # before any route is added
    app.url_map.converters["signed"] = params.SignedToken
    app.before_request(params.check_query)
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    _register_hooks(app)
    errors.register(app)
    cli.register(app)
    return app


def _limiter_storage(settings: Settings) -> str:
    return settings.redis_url if settings.redis_url else "memory://"


def kpi_value(value, code: str) -> str:
    """A KPI's value in the user's locale by the registry's unit (tenants.kpis.format)."""
    return value_text(code, value, get_locale())


def select_locale() -> str:
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    if session.get("lang") in LOCALES:
        return session["lang"]
    return request.accept_languages.best_match(LOCALES) or "en"


def _register_hooks(app: Flask) -> None:
    login_manager.user_loader(load_signed_in)

    @app.teardown_appcontext
    def _end(_exc=None) -> None:
        db.remove()
        clear_tenant()

    @app.after_request
    def _vary(response):
        response.headers.add("Vary", VARY)
        # Signed-in pages and every API answer (bearer keys, member data) stay out of shared and browser caches.
        if request.blueprint == "api" or (current_user and current_user.is_authenticated):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def _globals() -> dict:
        return {
            "current_locale": str(get_locale()),
            "agency": g.get("agency"),
            "membership": g.get("membership"),
            "org": g.get("org"),
            # url_for(..., **slug) on organisation pages; blocks rendered alone see it too.
            "slug": {"agency_slug": g.agency.slug, "org_slug": g.org.slug} if g.get("org") else {},
            "now": datetime.now(UTC),
        }

    def nav_orgs():
        m = g.get("membership")
        if not m:
            return [], 0
        return access.nav_orgs(db, m, g.org.id if g.get("org") else None)

    app.jinja_env.globals.update(user_agencies=user_agencies, nav_orgs=nav_orgs, role_label=role_label,
                                 action_label=action_label, job_label=job_label, channel_label=channel_label,
                                 activity_label=activity_label, field_label=field_label, stage_label=stage_label,
                                 job_failure=job_failure, scoring_failed=scoring_failed,
                                 leader_status_label=labels.leader_status_label,
                                 leader_kind_label=labels.leader_kind_label, touchpoint_label=labels.touchpoint_label,
                                 member_kind_label=labels.member_kind_label,
                                 event_format_label=labels.event_format_label,
                                 registration_status_label=labels.registration_status_label,
                                 registration_source_label=labels.registration_source_label,
                                 registration_log_label=labels.registration_log_label,
                                 form_field_label=labels.form_field_label,
                                 kpi_name=labels.kpi_name, kpi_hint=labels.kpi_hint, kpi_meta=kpis.KPIS,
                                 goal_status_label=labels.goal_status_label)
    app.jinja_env.filters["d"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["dt"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["num"] = lambda value: format_decimal(value or 0)
    # Numbers in the user's locale ("3 012", "12,1 %" in Russian): whole, one decimal, and fractions as percent.
    app.jinja_env.filters["num0"] = lambda value: format_decimal(value or 0, "#,##0")
    app.jinja_env.filters["num1"] = lambda value: format_decimal(value or 0, "#,##0.0")
    app.jinja_env.filters["pct0"] = lambda value: format_percent(value or 0)
    app.jinja_env.filters["pct1"] = lambda value: format_percent(value or 0, _percent_pattern(1))
    # Changes, always signed: "+1.5" points, "-11.0 %" of the previous period.
    app.jinja_env.filters["signed1"] = lambda value: format_decimal(value or 0, "+#,##0.0;-#,##0.0")
    app.jinja_env.filters["signed_pct1"] = lambda value: format_percent(
        value or 0, "+{0};-{0}".format(_percent_pattern(1)))
    app.jinja_env.filters["fromiso"] = lambda value: datetime.fromisoformat(value) if value else None
    app.jinja_env.filters["label_pairs"] = label_pairs
    app.jinja_env.filters["kpi"] = kpi_value
