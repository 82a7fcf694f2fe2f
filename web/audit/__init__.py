"""The agency's audit log: browse, filter, export as CSV through a job."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/<agency_slug>/audit")

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
