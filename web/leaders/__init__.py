"""An organisation's opinion leaders: the list with candidates and alerts, a leader's page (influence, reach,
touchpoints and their impact), status changes and touchpoints. Clients read the list and the pages, without
the internal notes; only staff who work in the organisation change anything. The influence network picture is
staff-only: its nodes open member pages."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("leaders", __name__, url_prefix="/<agency_slug>/<org_slug>/leaders")

from . import network, views  # noqa: E402, F401 -- the routes, which import bp from here
