"""Sign-up, sign-in, sign-out, password reset and invitation acceptance."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
