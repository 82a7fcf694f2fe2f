"""An organisation's goals: the list grouped by status, the form (new from a template, edit) with its targets,
the goal page (chart of the daily points against the target line, with a projection; the points), close, reopen
and delete. Clients read; only staff who work in the organisation change anything."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("goals", __name__, url_prefix="/<agency_slug>/<org_slug>/goals")

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
