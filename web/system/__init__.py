"""Landing redirect, language switch and the health check."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("system", __name__)

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
