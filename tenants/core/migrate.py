"""Schema changes go through Alembic only. `communa db upgrade` runs as the owner
(MIGRATIONS_DATABASE_URL) and then grants the app role (DATABASE_URL's user) and the system role
(SYSTEM_DATABASE_URL's user) what they need: the app role its tables under the tenant policies, the system
role every row through a policy of its own. Both are named by the deployment's URLs, never by a migration."""
from __future__ import annotations

import logging

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import Connection, make_url

from tenants.core import rls
from tenants.core.config import ROOT, Settings

log = logging.getLogger(__name__)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(settings: Settings, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings.migrations_database_url), revision)
    grant_app_role(settings)
    grant_system_role(settings)


def _quoted(role: str) -> str:
    return '"' + role.replace('"', '""') + '"'


def _table_grants(conn: Connection, role: str) -> None:
    for statement in (
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE ALL ON alembic_version FROM {role}",
    ):
        conn.execute(text(statement))


def grant_app_role(settings: Settings) -> None:
    app_user = make_url(settings.database_url).username
    owner_user = make_url(settings.migrations_database_url).username
    if not app_user or app_user == owner_user:
        log.warning("DATABASE_URL uses the owner role: RLS still applies (FORCE), "
                    "but production should connect as a role that owns nothing")
        return
    engine = create_engine(settings.migrations_database_url)
    with engine.begin() as conn:
        flags = conn.execute(text("SELECT rolsuper, rolbypassrls, pg_has_role(oid, current_user, 'MEMBER') AS owner "
                                  "FROM pg_roles WHERE rolname = :r"), {"r": app_user}).first()
        if flags is None:
            raise RuntimeError(f"app role {app_user!r} does not exist; create it (LOGIN, no BYPASSRLS)")
        if flags.rolsuper or flags.rolbypassrls or flags.owner:
            raise RuntimeError(f"app role {app_user!r} is superuser, has BYPASSRLS or may act as the owner: refusing")
        role = _quoted(app_user)
        _table_grants(conn, role)
        # The functions a request calls (user_memberships: SECURITY DEFINER, EXECUTE revoked from PUBLIC).
        conn.execute(text(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}"))
    engine.dispose()


def grant_system_role(settings: Settings) -> None:
    """Table privileges and the `system_access` policy on every tenant table for SYSTEM_DATABASE_URL's user.
    Refused when the app role could act as it: then nothing would keep the app role inside its tenant."""
    app_user = make_url(settings.database_url).username
    owner_user = make_url(settings.migrations_database_url).username
    system_user = make_url(settings.system_database_url).username or owner_user
    engine = create_engine(settings.migrations_database_url)
    try:
        with engine.begin() as conn:
            _check_system_role(conn, app_user, owner_user, system_user)
            role = _quoted(system_user)
            if system_user != owner_user:
                _table_grants(conn, role)
            for table, roles in conn.execute(text(rls.system_policies_sql())).all():
                if roles != [system_user]:
                    conn.execute(text(rls.system_policy_sql(table, role, exists=roles is not None)))
    finally:
        engine.dispose()


def _check_system_role(conn: Connection, app_user: str | None, owner_user: str | None, system_user: str) -> None:
    if app_user == owner_user:
        return      # the app connects as the owner: grant_app_role has warned, and there is no wall to keep
    if system_user == owner_user:
        log.warning("SYSTEM_DATABASE_URL uses the owner role: system work runs with the power to change the "
                    "schema; production should give it a role of its own (LOGIN, owns nothing)")
    if system_user == app_user:
        raise RuntimeError("SYSTEM_DATABASE_URL uses the app role: it must be a role of its own")
    found = conn.execute(text("SELECT pg_has_role(:app, :sys, 'MEMBER') FROM pg_roles WHERE rolname = :sys"),
                         {"app": app_user, "sys": system_user}).first()
    if found is None:
        raise RuntimeError(f"system role {system_user!r} does not exist; create it (LOGIN, owns nothing)")
    if found[0]:
        raise RuntimeError(f"app role {app_user!r} is a member of the system role {system_user!r}: refusing")


def analyze(settings: Settings, models: tuple) -> None:
    """Planner statistics for tables just filled in bulk (the demo seed), before a query plans on them: without
    them a full recompute's joins take seconds instead of milliseconds. Taken as the schema owner: the app role
    may not ANALYZE."""
    engine = create_engine(settings.migrations_database_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE " + ", ".join(m.__tablename__ for m in models)))
    finally:
        engine.dispose()
