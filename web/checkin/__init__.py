"""The door check-in of one event, for staff on a phone: live counts, QR scan and typed tickets, guest search
(registrants first, then the organisation's other members as walk-ins), a new person added on the spot, undo.
Staff who work in the organisation only: clients and everyone else get 404."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("checkin", __name__, url_prefix="/<agency_slug>/<org_slug>/events/<event_id>/checkin")

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
