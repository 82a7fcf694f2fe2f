"""Engine, sessions and the second and third walls of tenant isolation.

* ORM scoping: every SELECT/UPDATE/DELETE that touches a tenant model gets
  `with_loader_criteria(agency_id = current tenant)`; without a tenant in context it raises
  (fails closed). Inserts and flushes are stamped with the tenant and refused for another agency.
* PostgreSQL RLS: every transaction carries `app.agency_id` via `set_config(..., true)`, which the row
  policies read. Cross-tenant work (`system_scope`) connects as another role, the system role, whose own
  policy lets it through: nothing the app role sets or runs widens what it sees.
"""
from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker, with_loader_criteria
from sqlalchemy.sql.util import find_tables

from tenants.core.base import OrgOwned, TenantOwned, tenant_tables
from tenants.core.context import Tenant, TenantScopeError, _system_context, current_tenant

SessionFactory = sessionmaker(expire_on_commit=False)
db = scoped_session(SessionFactory)
_engine: Engine | None = None
_system_engine: Engine | None = None


def init_engine(url: str, system_url: str, **kwargs: Any) -> Engine:
    """Create the engines for `url` (the app role) and `system_url` (the system role, for `system_scope`) and
    bind the session factory to the first."""
    global _engine, _system_engine
    if _engine is not None:
        db.remove()
    for old in (_engine, _system_engine):
        if old is not None:
            old.dispose()
    kwargs.setdefault("pool_pre_ping", True)
    # No server-side prepared statements: their generic plans for the array (unnest) joins of ingestion are far
    # slower than fresh plans (measured in bench/ingest.py), and they break behind PgBouncer.
    kwargs.setdefault("connect_args", {"prepare_threshold": None})
    _engine = create_engine(url, **kwargs)
    _system_engine = create_engine(system_url, **kwargs)
    for engine in (_engine, _system_engine):
        _fork_safe(engine)
    SessionFactory.configure(bind=_engine)
    return _engine


def ping(session: Session) -> None:
    """A round trip to the database (the health check); raises if it cannot be reached."""
    session.execute(text("SELECT 1"))


def get_engine() -> Engine:
    if _engine is None:
        raise RuntimeError("database engine not initialised")
    return _engine


def get_system_engine() -> Engine:
    if _system_engine is None:
        raise RuntimeError("database engine not initialised")
    return _system_engine


@contextmanager
def system_scope() -> Iterator[Session]:
    """Cross-tenant work (schedules, logins, webhooks): its own session, connected as the system role."""
    with _system_context(), job_session(get_system_engine()) as session:
        yield session


@contextmanager
def job_session(bind: Engine | None = None) -> Iterator[Session]:
    """A fresh session for one job or CLI command, in whatever tenant scope is current."""
    session = SessionFactory() if bind is None else SessionFactory(bind=bind)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- tenant binding -----------------------------------------------------------------------------

def _key(tenant: Tenant | None) -> tuple:
    if tenant is None:
        return ("", False)
    return ("" if tenant.agency_id is None else str(tenant.agency_id), tenant.system)


def _bind_tenant(session: Session, tenant: Tenant | None) -> None:
    """A session serves one tenant; refining agency → agency+org is fine, switching is not."""
    if tenant is None:
        return
    bound = session.info.get("tenant")
    if bound is None:
        session.info["tenant"] = tenant
    elif (bound.agency_id, bound.system) != (tenant.agency_id, tenant.system):
        raise TenantScopeError("a session never switches tenant")


def _ensure_rls(session: Session, connection=None) -> None:
    key = _key(current_tenant())
    if session.info.get("rls") == key:
        return
    # Beginning the transaction (after_begin) may set it: check again once there is a connection.
    conn = connection if connection is not None else session.connection()
    if session.info.get("rls") == key:
        return
    if key[0] == "" and "rls" not in session.info:
        # A transaction starts with the setting empty (it is only ever set transaction-local): no round trip.
        session.info["rls"] = key
        return
    conn.execute(text("SELECT set_config('app.agency_id', :a, true)"), {"a": key[0]})
    session.info["rls"] = key


@event.listens_for(Session, "after_begin")
def _after_begin(session: Session, _transaction, connection) -> None:
    session.info.pop("rls", None)
    _ensure_rls(session, connection)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _after_end(session: Session, *_args) -> None:
    session.info.pop("rls", None)


# Statements are immutable, and the hot ones are built once (module constants): remember each one's answer.
_touches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _touches_tenant_tables(state) -> bool:
    statement = state.statement
    known = _touches.get(statement)
    if known is None:
        known = _touches[statement] = _reads_tenant_tables(state)
    return known


def _reads_tenant_tables(state) -> bool:
    if any(m.class_ is not None and issubclass(m.class_, TenantOwned) for m in state.all_mappers):
        return True
    names = tenant_tables()
    return any(getattr(t, "name", None) in names for t in find_tables(state.statement, include_joins=True,
                                                                       include_selects=True))


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state) -> None:
    if current_tenant() is not None:
        # Raw SQL (set-based ingestion, metrics) relies on RLS alone: keep the transaction's setting current.
        _ensure_rls(state.session)
    if not (state.is_select or state.is_update or state.is_delete or state.is_insert):
        return
    if not _touches_tenant_tables(state):
        return
    tenant = current_tenant()
    if tenant is None:
        raise TenantScopeError("query on a tenant table with no tenant in context")
    _bind_tenant(state.session, tenant)
    _ensure_rls(state.session)
    if tenant.system:
        _check_system_bind(state.session)
        return
    if state.is_insert or state.is_update:
        _check_written_agency(state, tenant.agency_id)
    if state.is_insert:
        return
    agency_id, org_id = tenant.agency_id, tenant.org_id
    options = [with_loader_criteria(TenantOwned, lambda cls: cls.agency_id == agency_id, include_aliases=True)]
    if org_id is not None:
        options.append(with_loader_criteria(OrgOwned, lambda cls: cls.org_id == org_id, include_aliases=True))
    state.statement = state.statement.options(*options)


def _check_system_bind(session: Session) -> None:
    """System scope on the app role's connection would see nothing (its policies know no system flag): say so."""
    if session.bind is None or session.bind is not _system_engine:
        raise TenantScopeError("system work outside system_scope() (the app role's session)")


def _check_written_agency(state, agency_id: int) -> None:
    rows = state.parameters
    rows = rows if isinstance(rows, list) else [rows] if rows else []
    values = [r.get("agency_id") for r in rows if isinstance(r, dict) and "agency_id" in r]
    values.extend(_inline_values(state.statement, "agency_id"))
    if state.is_insert and not values:
        raise TenantScopeError("insert into a tenant table without agency_id")
    if any(v != agency_id for v in values):
        raise TenantScopeError("write for another agency refused")


def _inline_values(statement, column: str) -> list:
    """Values given in the statement itself (`insert(...).values(agency_id=...)`, multi-row values too)."""
    found = []
    rows = [getattr(statement, "_values", None) or {}]
    rows += [r for group in (getattr(statement, "_multi_values", None) or ()) for r in group]
    for row in rows:
        if not isinstance(row, dict):
            continue
        for key, value in row.items():
            name = key if isinstance(key, str) else getattr(key, "key", None)
            if name == column:
                found.append(getattr(value, "value", value))
    return found


@event.listens_for(Session, "before_flush")
def _stamp_and_check(session: Session, _flush_context, _instances) -> None:
    tenant = current_tenant()
    touched = [o for o in list(session.new) + list(session.dirty) + list(session.deleted)
               if isinstance(o, TenantOwned)]
    if not touched:
        return
    if tenant is None:
        raise TenantScopeError("write to a tenant table with no tenant in context")
    _bind_tenant(session, tenant)
    _ensure_rls(session)
    if tenant.system:
        _check_system_bind(session)
        return
    for obj in touched:
        if obj.agency_id is None and obj in session.new:
            obj.agency_id = tenant.agency_id
        if obj.agency_id != tenant.agency_id:
            raise TenantScopeError(f"{type(obj).__name__} belongs to another agency")
        if isinstance(obj, OrgOwned) and tenant.org_id is not None:
            if obj.org_id is None and obj in session.new:
                obj.org_id = tenant.org_id
            if obj.org_id != tenant.org_id:
                raise TenantScopeError(f"{type(obj).__name__} belongs to another organisation")


def _fork_safe(engine: Engine) -> None:
    """A forked process (RQ's work horse) must not reuse the parent's connections (SQLAlchemy docs)."""
    @event.listens_for(engine, "connect")
    def _connect(_dbapi_connection, record) -> None:
        record.info["pid"] = os.getpid()

    @event.listens_for(engine, "checkout")
    def _checkout(_dbapi_connection, record, proxy) -> None:
        if record.info.get("pid") != os.getpid():
            record.dbapi_connection = proxy.dbapi_connection = None
            raise exc.DisconnectionError("connection belongs to the parent process")
