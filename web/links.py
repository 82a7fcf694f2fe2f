"""The base of every link in a mail: PUBLIC_URL, never a header the client sent. Production does not start
without it (Settings.check); only in development, without it, the request's own URL."""
from __future__ import annotations

from flask import current_app, request


def mail_base_url() -> str:
    settings = current_app.config["COMMUNA"]
    if settings.public_url:
        return settings.public_url
    if settings.production:
        raise RuntimeError("PUBLIC_URL is not set in production")   # Settings.check() refuses to start so
    return request.url_root
