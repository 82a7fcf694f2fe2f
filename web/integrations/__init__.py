"""An organisation's integrations: API keys (create, shown once; revoke) and how to call the API."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("integrations", __name__, url_prefix="/<agency_slug>/<org_slug>/integrations")

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
