"""An organisation's members: list (search, filters, sort, keyset pages, bulk actions), profile, merge,
duplicates, custom attributes, privacy export and erasure. Staff only: clients get 404."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("members", __name__, url_prefix="/<agency_slug>/<org_slug>/members")

from . import events, views  # noqa: E402, F401 -- the routes, which import bp from here
