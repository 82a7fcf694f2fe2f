"""Test fixtures on real PostgreSQL and Redis.

Each run creates its own database, owned by `communa_test_owner` (migrations run as it), and the app
connects as `communa_test_app`: no superuser, no BYPASSRLS, owns nothing; `system_scope()` connects as
`communa_test_system` (the same, with a policy of its own). Redis uses its own db number.
Every test starts from empty tables and an empty Redis db.
"""
from __future__ import annotations

import contextlib
import functools
import os
import secrets

import pytest
from sqlalchemy import create_engine, text

from tenants.core.config import Settings
from tenants.core.migrate import upgrade
from tests.support import factories
from tests.support.browser import browser, live_server  # noqa: F401 -- fixtures for the browser tests
from tests.support.database import APP_ROLE, OWNER_ROLE, REDIS_URL, SYSTEM_ROLE, create_database, drop_database
from tests.support.http import login

os.environ.setdefault("COMMUNA_JOB_MODULES", "tests.support.jobs")
PUBLIC_URL = "http://localhost"     # the test client's own address: links in mails open in it as they are


@pytest.fixture(scope="session")
def settings():
    dbname = create_database("communa_test")
    host = "127.0.0.1:5432"
    s = Settings.from_env(
        database_url=f"postgresql+psycopg://{APP_ROLE}@{host}/{dbname}",
        migrations_database_url=f"postgresql+psycopg://{OWNER_ROLE}@{host}/{dbname}",
        system_database_url=f"postgresql+psycopg://{SYSTEM_ROLE}@{host}/{dbname}",
        redis_url=REDIS_URL, secret_key="test-" + secrets.token_hex(16),
        public_url=PUBLIC_URL, mail_server=None,
    )
    upgrade(s)
    yield s
    from tenants.core.db import get_engine
    with contextlib.suppress(RuntimeError):
        get_engine().dispose()
    drop_database(dbname)


@pytest.fixture(scope="session")
def owner_engine(settings):
    engine = create_engine(settings.migrations_database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(settings):
    from web import create_app
    application = create_app(settings)
    application.config.update(TESTING=True)
    return application


@pytest.fixture(scope="session")
def worker_env(settings):
    """Environment for subprocesses (RQ workers, CLI, gunicorn) pointing at the test database."""
    env = dict(os.environ)
    env.update(DATABASE_URL=settings.database_url, MIGRATIONS_DATABASE_URL=settings.migrations_database_url,
               SYSTEM_DATABASE_URL=settings.system_database_url,
               REDIS_URL=settings.redis_url, SECRET_KEY=settings.secret_key,
               PUBLIC_URL=PUBLIC_URL, COMMUNA_JOB_MODULES="tests.support.jobs", PYTHONPATH=os.getcwd())
    env.pop("MAIL_SERVER", None)
    return env


@pytest.fixture(autouse=True)
def clean(request, app, settings, owner_engine):
    """Empty tables and Redis db before every test (TRUNCATE is not subject to RLS). Only the tables that hold
    rows or whose id sequence has moved are truncated (one statement finds them): truncating all 57 costs ~0.1 s
    a test, and most are untouched."""
    from redis import Redis

    with owner_engine.begin() as conn:
        used = [name for (name,) in conn.execute(text(_touched_tables_sql()))]
        if used:
            conn.execute(text(f"TRUNCATE {', '.join(used)} RESTART IDENTITY CASCADE"))
    Redis.from_url(settings.redis_url).flushdb()
    yield


@functools.cache
def _touched_tables_sql() -> str:
    """The quoted names of the tables with a row, or with a sequence used since it was last restarted."""
    from tenants.schema import metadata
    names = [t.name for t in metadata.sorted_tables]
    rows = " UNION ".join(f"SELECT '{n}' WHERE EXISTS (SELECT 1 FROM \"{n}\")" for n in names)
    listed = ", ".join(f"'{n}'" for n in names)
    return (f"SELECT DISTINCT '\"' || t || '\"' FROM ({rows} UNION SELECT c.relname FROM pg_depend d "
            "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_class c ON c.oid = d.refobjid "
            "JOIN pg_sequences q ON q.sequencename = s.relname AND q.schemaname = current_schema() "
            f"WHERE q.last_value IS NOT NULL AND c.relname IN ({listed})) x(t)")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def other_client(app):
    return app.test_client()


@pytest.fixture
def acme_owner(client):
    """Agency Acme with the organisation Coffee, its owner signed in on `client`."""
    a = factories.agency("Acme", "o@acme.test")
    factories.org(a, "Coffee")
    login(client, "o@acme.test")
    return a
