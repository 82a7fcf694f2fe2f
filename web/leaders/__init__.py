"""An organisation's opinion leaders and the influence network among its members."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("leaders", __name__, url_prefix="/<agency_slug>/<org_slug>/leaders")

from . import network  # noqa: E402, F401 -- the routes, which import bp from here
