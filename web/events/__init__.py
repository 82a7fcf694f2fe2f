"""An organisation's events."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("events", __name__, url_prefix="/<agency_slug>/<org_slug>/events")

from . import report  # noqa: E402, F401 -- the routes, which import bp from here
