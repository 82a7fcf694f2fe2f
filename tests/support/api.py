"""API keys and their Authorization header."""
from __future__ import annotations

from tenants.agency import apikeys
from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session


def make_key(a, o, scopes=apikeys.SCOPES) -> str:
    with tenant_scope(a.id, o.id), job_session() as s:
        _key, token = apikeys.create(s, o.id, "test key", Actor(email="t"), scopes)
    return token


def auth(token):
    return {"Authorization": f"Bearer {token}"}
