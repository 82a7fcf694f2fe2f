"""The agency home: its client organisations, and creating new ones."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("agency", __name__, url_prefix="/<agency_slug>")

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
