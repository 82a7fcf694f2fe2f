"""An organisation's scoring model: weights, half-life, stage rules; preview before saving; versions."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("scoring", __name__, url_prefix="/<agency_slug>/<org_slug>/scoring")

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
