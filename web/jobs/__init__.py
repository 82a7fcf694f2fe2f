"""A job's progress (page and self-polling fragment) and the file it produced."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/<agency_slug>/jobs")

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
