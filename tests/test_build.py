"""The production shape, end to end: the committed HEAD exported to a temporary directory, `make build` there,
then every Procfile line run as written (through a shell, from the checkout, with the built venv on PATH)
against a fresh database and Redis. `release` migrates it; `web`, `worker` and `scheduler` serve a sign-up,
Russian pages, the vendored JavaScript and a job that the Procfile's worker completes."""
from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
import pytest

from tests.support.database import APP_ROLE, OWNER_ROLE, REDIS_URL, SYSTEM_ROLE, create_database, drop_database
from tests.support.http import CSRF_RE

pytestmark = pytest.mark.build

REPO = Path(__file__).resolve().parent.parent
# Variables of this test process that must not reach the build or the Procfile's processes: they would
# point them at the development checkout, its venv or the test job modules, or confuse the nested make.
LEAKS = ("PYTHONPATH", "VIRTUAL_ENV", "COMMUNA_JOB_MODULES", "MAKEFLAGS", "MFLAGS", "MAKELEVEL",
         "DATABASE_URL", "MIGRATIONS_DATABASE_URL", "SYSTEM_DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PUBLIC_URL",
         "PORT", "MAIL_SERVER")


def _export_head(dest: Path) -> None:
    """The repository's committed HEAD, as a deployment would check it out (nothing uncommitted)."""
    archive = dest.parent / "head.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive), "HEAD"],
                   check=True, capture_output=True, timeout=60)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")


def _procfile(path: Path) -> dict[str, str]:
    lines = (line.strip() for line in path.read_text().splitlines())
    return dict(line.split(":", 1) for line in lines if line and not line.startswith("#"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, n: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else ""


@pytest.fixture
def fresh_database():
    """An empty database owned by the owner role, as production's would be before the first release."""
    name = create_database("communa_build")
    yield name
    drop_database(name)


class Procs:
    """The Procfile's long-running processes, each in its own process group, logs in files."""

    def __init__(self, checkout: Path, env: dict, logs: Path):
        self.checkout, self.env, self.logs = checkout, env, logs
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: str) -> None:
        with (self.logs / f"{name}.log").open("wb") as log:
            self.running[name] = subprocess.Popen(["/bin/sh", "-c", command], cwd=self.checkout, env=self.env,
                                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def report(self) -> str:
        return "\n".join(f"--- {name} (exit {p.poll()}) ---\n{_tail(self.logs / f'{name}.log')}"
                         for name, p in self.running.items())

    def stop(self) -> None:
        for p in self.running.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in self.running.values():
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)


def _get(opener, url: str, headers: dict | None = None, data: dict | None = None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    return opener.open(urllib.request.Request(url, data=body, headers=headers or {}), timeout=30)


def test_make_build_then_every_procfile_process_as_written(tmp_path, fresh_database):
    checkout = tmp_path / "communa"
    checkout.mkdir()
    _export_head(checkout)

    env = {k: v for k, v in os.environ.items() if k not in LEAKS}
    started = time.monotonic()
    build = subprocess.run(["make", "build"], cwd=checkout, env=env, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, f"make build failed:\n{build.stdout[-4000:]}\n{build.stderr[-4000:]}"
    print(f"make build: {time.monotonic() - started:.0f} s")
    venv_bin = checkout / ".venv" / "bin"
    assert (venv_bin / "communa").exists() and (venv_bin / "gunicorn").exists()
    assert not (venv_bin / "pytest").exists() and not (venv_bin / "ruff").exists()   # no dev extras
    assert (checkout / "translations/ru/LC_MESSAGES/messages.mo").stat().st_size > 0

    port = _free_port()
    host = "127.0.0.1:5432"
    env.update(
        PATH=f"{venv_bin}{os.pathsep}{env.get('PATH', '')}",
        DATABASE_URL=f"postgresql://{APP_ROLE}@{host}/{fresh_database}",
        MIGRATIONS_DATABASE_URL=f"postgresql://{OWNER_ROLE}@{host}/{fresh_database}",
        SYSTEM_DATABASE_URL=f"postgresql://{SYSTEM_ROLE}@{host}/{fresh_database}",
        REDIS_URL=REDIS_URL, SECRET_KEY=secrets.token_urlsafe(32), PUBLIC_URL=f"http://127.0.0.1:{port}",
        PORT=str(port), WEB_CONCURRENCY="2",
    )
    procfile = _procfile(checkout / "Procfile")
    assert set(procfile) == {"release", "web", "worker", "scheduler"}

    release = subprocess.run(["/bin/sh", "-c", procfile["release"]], cwd=checkout, env=env, capture_output=True,
                             text=True, timeout=180)
    assert release.returncode == 0, release.stdout + release.stderr
    assert "database is up to date" in release.stdout

    procs = Procs(checkout, env, tmp_path)
    try:
        for name in ("web", "worker", "scheduler"):
            procs.start(name, procfile[name])
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        _serves(opener, base, procs)
        _signup_and_export(opener, base, procs, fresh_database)
        assert all(p.poll() is None for p in procs.running.values()), procs.report()
        scheduler_log = _tail(tmp_path / "scheduler.log", 200)
        assert "scheduler started" in scheduler_log, procs.report()
        # Its first tick did system work (dead jobs, the daily fan-outs) as SYSTEM_DATABASE_URL's role.
        assert "scheduler tick failed" not in scheduler_log, procs.report()
    finally:
        procs.stop()
    shutil.rmtree(checkout)          # its venv is ~100 MB; on failure it stays, with the logs, for a look


def _serves(opener, base: str, procs: Procs) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            health = _get(opener, base + "/healthz")
            break
        except (OSError, urllib.error.HTTPError):
            assert time.monotonic() < deadline and procs.running["web"].poll() is None, procs.report()
            time.sleep(0.3)
    state = json.loads(health.read())
    assert health.status == 200 and (state["database"], state["redis"]) == ("ok", "ok"), state

    login = _get(opener, base + "/login", {"Accept-Language": "ru-RU,ru;q=0.9"}).read().decode()
    assert "Войти" in login and "Log in" not in login
    for name in ("htmx.min.js", "chart.umd.min.js", "chartjs-chart-matrix.min.js"):
        asset = _get(opener, f"{base}/static/vendor/{name}")
        assert asset.status == 200 and len(asset.read()) > 1000, name


def _signup_and_export(opener, base: str, procs: Procs, database: str) -> None:
    page = _get(opener, base + "/signup").read().decode()
    token = next(g for g in CSRF_RE.search(page).groups() if g)
    _get(opener, base + "/signup", data={"agency_name": "Build Check", "name": "Owner", "email": "owner@build.test",
                                         "csrf_token": token})
    with psycopg.connect(f"postgresql://{OWNER_ROLE}@127.0.0.1:5432/{database}") as conn:   # no MAIL_SERVER: the outbox
        body = conn.execute("SELECT body FROM outbox_mail WHERE to_address = 'owner@build.test'").fetchone()[0]
    link = re.search(r"http://\S+/signup/\S+", body).group(0)
    assert link.startswith(base + "/"), link                # built from PUBLIC_URL
    page = _get(opener, link).read().decode()
    token = next(g for g in CSRF_RE.search(page).groups() if g)
    home = _get(opener, link, data={"password": "correct-horse-battery", "csrf_token": token})
    slug = urllib.parse.urlparse(home.geturl()).path.strip("/")
    assert slug and "/" not in slug, home.geturl()

    audit = _get(opener, f"{base}/{slug}/audit/").read().decode()
    token = next(g for g in CSRF_RE.search(audit).groups() if g)
    started = _get(opener, f"{base}/{slug}/audit/export", {"HX-Request": "true", "X-CSRFToken": token}, data={})
    job_id = re.search(r'id="job-([^"]+)"', started.read().decode()).group(1)

    deadline = time.monotonic() + 60
    while True:                      # the page's own polling: nothing but the Procfile's worker runs the job
        fragment = _get(opener, f"{base}/{slug}/jobs/{job_id}", {"HX-Request": "true"}).read().decode()
        if 'data-testid="job-done"' in fragment:
            break
        assert "job-failed" not in fragment and time.monotonic() < deadline, fragment + procs.report()
        time.sleep(0.3)
    rows = _get(opener, f"{base}/{slug}/jobs/{job_id}/download").read().decode("utf-8-sig").splitlines()
    assert rows[0] == "at,action,actor,target,ip,details"
    assert any("export_started" in row for row in rows[1:])
    assert f"jobrun-{job_id}" in _tail(procs.logs / "worker.log", 200), procs.report()
