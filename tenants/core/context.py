"""The tenant a piece of work runs for, held in a context variable.

Every query on a tenant model needs one (the ORM hook fails closed without it). Work that really
crosses tenants asks for it by name with `system_scope()`, which also uses its own session, so a
request or job session never changes tenant halfway.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


class TenantScopeError(RuntimeError):
    """A tenant-owned table was touched without a tenant, or with the wrong one."""


@dataclass(frozen=True)
class Tenant:
    agency_id: int | None
    org_id: int | None = None
    system: bool = False


_current: ContextVar[Tenant | None] = ContextVar("communa_tenant", default=None)


def current_tenant() -> Tenant | None:
    return _current.get()


def require_agency_id() -> int:
    tenant = _current.get()
    if tenant is None or tenant.agency_id is None:
        raise TenantScopeError("no tenant in context")
    return tenant.agency_id


def set_tenant(agency_id: int, org_id: int | None = None) -> None:
    """Enter a tenant for the rest of this context (a request). Changing agency is refused."""
    tenant = _current.get()
    if tenant is not None and (tenant.system or tenant.agency_id != agency_id):
        raise TenantScopeError("tenant already set in this context")
    _current.set(Tenant(agency_id=agency_id, org_id=org_id))


def clear_tenant() -> None:
    _current.set(None)


@contextmanager
def tenant_scope(agency_id: int, org_id: int | None = None) -> Iterator[Tenant]:
    if agency_id is None:
        raise TenantScopeError("tenant_scope needs an agency id")
    token = _current.set(Tenant(agency_id=agency_id, org_id=org_id))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


@contextmanager
def _system_context() -> Iterator[None]:
    token = _current.set(Tenant(agency_id=None, system=True))
    try:
        yield
    finally:
        _current.reset(token)
