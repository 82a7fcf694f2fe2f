"""The signed-in user's own account: name, language, password, sessions, agencies."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
