"""The suite's own PostgreSQL database and Redis db number, and the three roles it connects as."""
from __future__ import annotations

import contextlib
import os
import secrets

import psycopg

ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# A Redis db of its own per run (1-15), so two runs on one machine do not flush each other's keys.
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{secrets.randbelow(15) + 1}")
OWNER_ROLE, APP_ROLE, SYSTEM_ROLE = "communa_test_owner", "communa_test_app", "communa_test_system"


def ensure_role(conn, name: str, extra: str) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    if not exists:
        with contextlib.suppress(psycopg.errors.DuplicateObject):  # another test run created it meanwhile
            conn.execute(f"CREATE ROLE {name} LOGIN NOSUPERUSER NOBYPASSRLS {extra}")


def create_database(prefix: str) -> str:
    """A new, empty database owned by the owner role (the roles created if missing); returns its name."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        ensure_role(admin, OWNER_ROLE, "NOCREATEDB NOCREATEROLE")
        ensure_role(admin, APP_ROLE, "NOCREATEDB NOCREATEROLE")
        ensure_role(admin, SYSTEM_ROLE, "NOCREATEDB NOCREATEROLE")
        admin.execute(f"CREATE DATABASE {name} OWNER {OWNER_ROLE}")
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
