"""White label: the agency's branding page, an organisation's override, the logo and the app's brand colour."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("branding", __name__)

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
