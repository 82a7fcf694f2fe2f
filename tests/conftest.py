"""Test fixtures on real PostgreSQL and Redis.

Each run creates its own database, owned by `communa_test_owner` (migrations run as it), and the app
connects as `communa_test_app`: no superuser, no BYPASSRLS, owns nothing. Redis uses its own db number.
Every test starts from empty tables and an empty Redis db.
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets

import psycopg
import pytest
from sqlalchemy import create_engine, text

from tenants.core.config import Settings
from tenants.core.migrate import upgrade

os.environ.setdefault("COMMUNA_JOB_MODULES", "tests.support.jobs")
ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# A Redis db of its own per run (1-15), so two runs on one machine do not flush each other's keys.
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{secrets.randbelow(15) + 1}")
OWNER_ROLE, APP_ROLE = "communa_test_owner", "communa_test_app"
PASSWORD = "correct-horse-battery"


def _ensure_role(conn, name: str, extra: str) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    if not exists:
        with contextlib.suppress(psycopg.errors.DuplicateObject):  # another test run created it meanwhile
            conn.execute(f"CREATE ROLE {name} LOGIN NOSUPERUSER NOBYPASSRLS {extra}")


@pytest.fixture(scope="session")
def settings():
    dbname = f"communa_test_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        _ensure_role(admin, OWNER_ROLE, "NOCREATEDB NOCREATEROLE")
        _ensure_role(admin, APP_ROLE, "NOCREATEDB NOCREATEROLE")
        admin.execute(f"CREATE DATABASE {dbname} OWNER {OWNER_ROLE}")
    host = "127.0.0.1:5432"
    s = Settings.from_env(
        database_url=f"postgresql+psycopg://{APP_ROLE}@{host}/{dbname}",
        migrations_database_url=f"postgresql+psycopg://{OWNER_ROLE}@{host}/{dbname}",
        redis_url=REDIS_URL, secret_key="test-" + secrets.token_hex(16),
        public_url=None, mail_server=None,
    )
    upgrade(s)
    yield s
    from tenants.core.db import get_engine
    with contextlib.suppress(RuntimeError):
        get_engine().dispose()
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")


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
               REDIS_URL=settings.redis_url, SECRET_KEY=settings.secret_key,
               COMMUNA_JOB_MODULES="tests.support.jobs", PYTHONPATH=os.getcwd())
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


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"|'
                     r'"X-CSRFToken": "([^"]+)"')


def csrf_of(client, path: str = "/login") -> str:
    """The CSRF token of `client`'s session, read from a page as a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return next(g for g in match.groups() if g)


def login(client, email: str, password: str = PASSWORD):
    token = csrf_of(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def post(client, path: str, data: dict | None = None, htmx: bool = False, **kwargs):
    """POST with the session's CSRF token, as the page's form (or htmx, as a header) would send it."""
    token = csrf_of(client, "/account/")
    headers = kwargs.pop("headers", {})
    data = dict(data or {})
    if htmx:
        headers.update({"HX-Request": "true", "X-CSRFToken": token})
    else:
        data["csrf_token"] = token
    return client.post(path, data=data, headers=headers, **kwargs)
