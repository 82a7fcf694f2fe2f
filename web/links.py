"""The base of every link in a mail: PUBLIC_URL, never a header the client sent; without it (development) the
request's own URL."""
from __future__ import annotations

from flask import current_app, request


def mail_base_url() -> str:
    return current_app.config["COMMUNA"].public_url or request.url_root
