"""Faults a test causes on purpose: a Redis of its own to stop and start again, the app and an RQ worker as
processes to kill, and PostgreSQL backends to terminate from a superuser connection."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import requests
from redis import Redis
from redis.exceptions import RedisError

from bench.ingest import free_port
from tenants.core.config import ROOT
from tests.support.database import ADMIN_URL
from tests.support.http import CSRF_RE, PASSWORD


def wait_until(check: Callable[[], object], what: str, timeout: float = 60.0) -> object:
    """Poll `check` until it returns something true; fail saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {what}")


class PrivateRedis:
    """redis-server on a free port, no persistence: stopped and started again it holds nothing, as a Redis host
    that was replaced."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--daemonize", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.up, "the private Redis to answer")

    def up(self) -> bool:
        try:
            return bool(Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except RedisError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


class Process:
    """A process of ours (gunicorn, an RQ worker) in its own session, so it and its children die together."""

    def __init__(self, args: list[str], env: dict, log: Path) -> None:
        self.log = log
        self.proc = subprocess.Popen(args, env=dict(env, PYTHONPATH=str(ROOT)), cwd=ROOT, start_new_session=True,
                                     stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal every process of its session: an RQ work horse has a process group of its own."""
        for pid in self.session_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        self.proc.wait(20)

    def session_pids(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[3]) == self.proc.pid and fields[0] != "Z":      # its session (proc(5)), alive
                    pids.append(int(stat.parent.name))
        return pids

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def gunicorn(env: dict, log: Path) -> tuple[Process, str]:
    """The app under gunicorn (one worker) on a free port; returns once it answers."""
    port = free_port()
    server = Process([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
                      "web:create_app()"], env, log)
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(base), "gunicorn to answer")
    return server, base


def _answers(base: str) -> bool:
    try:
        requests.get(base + "/login", timeout=1)
        return True
    except requests.RequestException:
        return False


def worker(env: dict, log: Path) -> Process:
    """A real `communa worker` (not burst): it waits for jobs until killed."""
    return Process([sys.executable, "-m", "web.cli", "worker"], env, log)


def get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, timeout=30, **kwargs)


def post(url: str, **kwargs) -> requests.Response:
    return requests.post(url, timeout=30, **kwargs)


def subprocess_run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    """One `communa` command, to its end."""
    return subprocess.run([sys.executable, "-m", "web.cli", *args], env=dict(env, PYTHONPATH=str(ROOT)), cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def browser_session(base: str, email: str, password: str = PASSWORD) -> tuple[requests.Session, requests.Response]:
    """A new browser signing in: returns it and the answer to the login form."""
    s = requests.Session()
    token = csrf(s.get(base + "/login").text)
    return s, s.post(base + "/login", data={"email": email, "password": password, "csrf_token": token},
                     allow_redirects=False)


def csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return next(g for g in match.groups() if g)


def superuser(database_url: str) -> psycopg.Connection:
    """A superuser connection to the test's database (it sees past RLS and may terminate any backend)."""
    dbname = re.sub(r"\?.*$", "", database_url.rsplit("/", 1)[1])
    return psycopg.connect(ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname, autocommit=True)


def backends_waiting(admin: psycopg.Connection, *events: str) -> list[int]:
    """Backends of this database waiting on a lock of one of `events` ("advisory", "transactionid", "tuple")."""
    return [pid for (pid,) in admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
        "AND wait_event = ANY(%s) AND pid <> pg_backend_pid()", (list(events),))]


def terminate(admin: psycopg.Connection, pids: list[int]) -> None:
    for pid in pids:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
