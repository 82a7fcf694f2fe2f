"""One client organisation: its overview and settings."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("org", __name__, url_prefix="/<agency_slug>/<org_slug>")

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
