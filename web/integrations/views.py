"""The integrations page: API keys."""
from __future__ import annotations

from flask import abort, g, request
from flask_babel import gettext as _

from tenants.agency import apikeys
from tenants.agency.apikeys import ApiKeyError
from tenants.core.db import db

from ..htmx import page
from ..tenancy import actor, org_view
from . import bp


def _context(**extra) -> dict:
    return {"keys": apikeys.for_org(db, g.org.id), "new_token": None, "error": None, **extra}


@bp.route("/")
@org_view(write=True)
def index():
    return page("integrations/index.html", "keys", **_context())


@bp.route("/keys", methods=["POST"])
@org_view(write=True)
def create_key():
    try:
        _key, token = apikeys.create(db, g.org.id, request.form.get("name", ""), actor())
    except ApiKeyError as exc:
        return page("integrations/index.html", "keys", status=422, **_context(error=_(str(exc))))
    db.commit()
    return page("integrations/index.html", "keys", **_context(new_token=token))


@bp.route("/keys/<key_id>/revoke", methods=["POST"])
@org_view(write=True)
def revoke_key(key_id: str):
    if not apikeys.revoke(db, g.org.id, key_id, actor()):
        abort(404)
    db.commit()
    return page("integrations/index.html", "keys", **_context())
