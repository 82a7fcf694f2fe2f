"""The public event pages, no login: the registration form (/e/<token>), the ticket (/t/<token>) and the
post-event survey (/s/<token>). The secret in the link names one event or registration and is the only way
in; an unknown one is a plain 404."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public_events", __name__)

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
