"""The email digest: an organisation's schedule, recipients, test send and delivery log (staff who work in the
organisation), and the public unsubscribe page a digest links to."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("digest", __name__)

from . import views  # noqa: E402, F401 -- the routes, which import bp from here
