"""Test fixtures on real PostgreSQL and Redis.

Each run creates its own database, owned by `communa_test_owner` (migrations run as it), and the app
connects as `communa_test_app`: no superuser, no BYPASSRLS, owns nothing; `system_scope()` connects as
`communa_test_system` (the same, with a policy of its own). Redis uses its own db number.
Every test starts from empty tables and an empty Redis db.
"""
from __future__ import annotations

import contextlib
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
    """Empty tables and Redis db before every test (TRUNCATE is not subject to RLS)."""
    from redis import Redis

    from tenants.schema import metadata
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with owner_engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    Redis.from_url(settings.redis_url).flushdb()
    yield


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
