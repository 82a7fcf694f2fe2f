"""The `communa` command, as an operator runs it."""
from __future__ import annotations

import subprocess
import sys

from sqlalchemy import create_engine, func, select, text

from tenants.db import system_scope
from tenants.models import Agency, AgencyRole, Organisation, User


def _cli(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "web.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_create_agency_and_org_print_slugs(worker_env):
    r = _cli(worker_env, "create-agency", "Лунная Студия", "--owner-email", "o@moon.test",
             "--owner-password", "moon-password-1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "lunnaia-studiia"
    r = _cli(worker_env, "create-org", "lunnaia-studiia", "Coffee & Co")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "coffee-co"
    assert _cli(worker_env, "create-org", "no-such-agency", "X").returncode != 0


def test_seed_demo_is_idempotent_and_prints_logins(worker_env):
    first = _cli(worker_env, "seed-demo")
    assert first.returncode == 0, first.stderr
    for role in ("owner", "admin", "manager", "client"):
        assert f"{role}@demo.communa.test" in first.stdout
    assert "communa-demo" in first.stdout
    assert _cli(worker_env, "seed-demo").returncode == 0
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Agency)) == 1
        assert s.scalar(select(func.count()).select_from(Organisation)) == 3
        assert s.scalar(select(func.count()).select_from(User)) == 4
        assert s.scalar(select(func.count()).select_from(AgencyRole)) == 4


def test_same_migrations_build_sqlite(tmp_path, worker_env):
    env = dict(worker_env, DATABASE_URL=f"sqlite:///{tmp_path}/c.db")
    env.pop("MIGRATIONS_DATABASE_URL")
    assert _cli(env, "db", "upgrade").returncode == 0
    assert _cli(env, "seed-demo").returncode == 0
    engine = create_engine(f"sqlite:///{tmp_path}/c.db")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM organisation")).scalar() == 3
    engine.dispose()
