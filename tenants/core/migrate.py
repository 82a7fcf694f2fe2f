"""Schema changes go through Alembic only. `communa db upgrade` runs as the owner
(MIGRATIONS_DATABASE_URL) and then grants the app role (DATABASE_URL's user) what it needs."""
from __future__ import annotations

import logging

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

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


def grant_app_role(settings: Settings) -> None:
    app_user = make_url(settings.database_url).username
    owner_user = make_url(settings.migrations_database_url).username
    if not app_user or app_user == owner_user:
        log.warning("DATABASE_URL uses the owner role: RLS still applies (FORCE), "
                    "but production should connect as a role that owns nothing")
        return
    engine = create_engine(settings.migrations_database_url)
    with engine.begin() as conn:
        flags = conn.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"),
                             {"r": app_user}).first()
        if flags is None:
            raise RuntimeError(f"app role {app_user!r} does not exist; create it (LOGIN, no BYPASSRLS)")
        if flags.rolsuper or flags.rolbypassrls:
            raise RuntimeError(f"app role {app_user!r} is superuser or has BYPASSRLS: refusing")
        role = '"' + app_user.replace('"', '""') + '"'
        for statement in (
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
            f"REVOKE ALL ON alembic_version FROM {role}",
        ):
            conn.execute(text(statement))
    engine.dispose()


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
