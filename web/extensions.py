"""Flask extensions, created once and bound in create_app()."""
from __future__ import annotations

import contextlib
import logging
from typing import Any

from flask import request
from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from redis.exceptions import RedisError

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
cache = Cache()
talisman = Talisman()
htmx_ext = Htmx()         # request.htmx: the request's HX- headers (web/htmx.py)
limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="moving-window")

LOCALES = ("en", "ru")
log = logging.getLogger("communa.web")


def cached(key: str) -> Any:
    """A cached value, or None when it is not there or the cache (Redis) cannot be reached: pages render
    without the cache while Redis is down."""
    try:
        return cache.get(key)
    except RedisError:
        log.warning("cache unreachable: rendering without it")
        return None


def keep(key: str, value: Any) -> None:
    with contextlib.suppress(RedisError):       # said by cached(), which ran first
        cache.set(key, value)

# Demo and test logins live under .test (RFC 2606); email-validator refuses that TLD unless told otherwise.
import email_validator  # noqa: E402

if "test" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
    email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("test")


def form_email() -> str:
    """Rate-limit key for per-account limits: the address typed into the form."""
    return "acct:" + (request.form.get("email") or "").strip().lower()
