"""An organisation's events: the list (upcoming, past) and the month calendar, the form (new, edit, delete), the
event page (head counts, registrations, manual registration and cancellation, the registration log, the public
registration link) and the event report. Clients read; only staff who work in the organisation change anything."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("events", __name__, url_prefix="/<agency_slug>/<org_slug>/events")

from . import calendar, display, event, report, views  # noqa: E402, F401 -- the routes, which import bp from here
