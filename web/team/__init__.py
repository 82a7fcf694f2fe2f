"""The agency's people: invite, change roles and assignments, remove; pending invitations."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("team", __name__, url_prefix="/<agency_slug>/people")

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
