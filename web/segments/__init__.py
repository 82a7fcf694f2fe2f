"""An organisation's segments: the list, the rule builder (new, edit, its live count), the segment page (trend,
who entered and left, figures, members with bulk actions), freeze and delete. Clients read; staff change."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("segments", __name__, url_prefix="/<agency_slug>/<org_slug>/segments")

from . import segment, views  # noqa: E402, F401 -- the routes, which import bp from here
