"""An organisation's loyalty reports: the list (versions by period) with "Generate", a report's page (notes
while a draft, approve and publish, share links, PDF), and the share pages (/r/<token>, no sign-in). Clients read
published reports of their own organisation; staff who work in it do the rest."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/<agency_slug>/<org_slug>/reports")
share_bp = Blueprint("report_share", __name__)

from . import share, views  # noqa: E402, F401 -- the routes, which import the blueprints from here
