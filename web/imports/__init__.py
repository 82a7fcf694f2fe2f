"""Imports into an organisation: CSV (members or activities) with a column mapping, and Telegram exports.

upload → (CSV: preview and mapping) → RQ job with a live progress bar → result with every rejected row."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/<agency_slug>/<org_slug>/imports")

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
