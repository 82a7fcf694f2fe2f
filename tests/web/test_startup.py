"""Production (a DATABASE_URL of its own) does not start without PUBLIC_URL: every link in a mail is built from
it. The Procfile's web, worker and scheduler processes all refuse, saying what to set; development (the
embedded PostgreSQL of `make run`) needs none."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.ingest import free_port
from tenants.core.config import ROOT, ConfigError, Settings

BIN = Path(sys.executable).parent


def _procfile() -> dict[str, str]:
    lines = (line.strip() for line in (ROOT / "Procfile").read_text().splitlines())
    return dict(line.split(":", 1) for line in lines if line and not line.startswith("#"))


def _run(command: str, env: dict) -> subprocess.CompletedProcess:
    env = dict(env, PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", PORT=str(free_port()), WEB_CONCURRENCY="1")
    return subprocess.run(["/bin/sh", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("process", ["web", "worker", "scheduler"])
def test_every_procfile_process_refuses_to_start_without_public_url(worker_env, process):
    env = {k: v for k, v in worker_env.items() if k != "PUBLIC_URL"}
    done = _run(_procfile()[process], env)
    assert done.returncode != 0
    assert "PUBLIC_URL is not set" in done.stdout + done.stderr


def test_with_public_url_the_same_process_starts(worker_env):
    done = _run("communa scheduler --once", worker_env)
    assert done.returncode == 0, done.stderr[-2000:]


def test_production_is_a_database_of_its_own_and_needs_an_absolute_public_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.example.test/communa")
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    settings = Settings.from_env(secret_key="x")
    assert settings.production
    with pytest.raises(ConfigError, match="PUBLIC_URL is not set"):
        settings.check()
    for bad in ("app.example.com", "ftp://app.example.com", "https://", "https://app.example.com/?next=x"):
        monkeypatch.setenv("PUBLIC_URL", bad)
        with pytest.raises(ConfigError, match="PUBLIC_URL must be"):
            Settings.from_env(secret_key="x").check()
    monkeypatch.setenv("PUBLIC_URL", "https://app.example.com")
    Settings.from_env(secret_key="x").check()


def test_development_on_the_embedded_database_starts_without_public_url():
    settings = Settings(database_url="postgresql+psycopg://communa_app@/communa", migrations_database_url="",
                        redis_url=None, secret_key="x", production=False)
    settings.check()


def test_trusted_proxies_must_be_a_whole_number(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db.example.test/communa")
    monkeypatch.setenv("TRUSTED_PROXIES", "one")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        Settings.from_env(secret_key="x")
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert Settings.from_env(secret_key="x").trusted_proxies == 2


def test_the_old_yes_no_proxy_setting_is_refused_with_what_to_set(monkeypatch):
    monkeypatch.setenv("BEHIND_PROXY", "true")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        Settings.from_env(secret_key="x")
