"""REST API v1, authenticated by organisation API keys (`Authorization: Bearer cmk_...`).

The key decides the tenant: the agency and organisation are set from it before any view runs, so a key
of one organisation can never reach another's data (the ORM and RLS walls then hold as for pages)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import events, leaders, reports, segments, views  # noqa: E402, F401 -- authentication, limits, errors and routes, on bp
