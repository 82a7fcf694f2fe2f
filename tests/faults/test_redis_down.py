"""Redis stopped under a running app (gunicorn, with a Redis of the test's own): people still sign in (the rate
limits fall back to memory and the log says so), pages render without the cache, the API stores activity and
defers its scoring, actions that need a job say background work is unavailable and record none, /healthz names
Redis. Started again (empty, as a replaced host), everything works: the deferred scoring catches up, nothing is
lost or doubled."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from redis import Redis
from sqlalchemy import func, select

from tenants.agency.models import JobRun
from tenants.community.models import Activity, Member, ScorePending
from tenants.core.base import utcnow
from tenants.core.db import system_scope
from tenants.core.models import AuditLog
from tests.support import factories, faults
from tests.support.api import auth, make_key
from tests.support.workers import work_burst

UNAVAILABLE = "Background work is unavailable"


def item(ext: str, source: str, days_ago: int = 1) -> dict:
    when = (utcnow() - timedelta(days=days_ago)).isoformat()
    return {"member": {"channel": "telegram", "external_id": ext, "display_name": ext.title()},
            "type": "message", "occurred_at": when, "source_id": source}


def state(org_id: int) -> tuple[int, int, int, int]:
    """Activities stored, activities counted on members, members, member days waiting to be scored."""
    with system_scope() as s:
        return (s.scalar(select(func.count()).select_from(Activity).where(Activity.org_id == org_id)),
                s.scalar(select(func.coalesce(func.sum(Member.activity_count), 0)).where(Member.org_id == org_id)),
                s.scalar(select(func.count()).select_from(Member).where(Member.org_id == org_id)),
                s.scalar(select(func.count()).select_from(ScorePending).where(ScorePending.org_id == org_id)))


def runs() -> list[tuple[str, str, dict | None]]:
    with system_scope() as s:
        return [tuple(r) for r in s.execute(select(JobRun.kind, JobRun.status, JobRun.failure).order_by(JobRun.id))]


def audited(action: str) -> int:
    with system_scope() as s:
        return s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == action))


def htmx_post(browser: requests.Session, base: str, path: str, page: str) -> requests.Response:
    token = faults.csrf(browser.get(base + page).text)
    return browser.post(base + path, headers={"HX-Request": "true", "X-CSRFToken": token})


@pytest.fixture
def private_redis():
    redis = faults.PrivateRedis()
    redis.start()
    yield redis
    redis.stop()


def test_redis_stopped_and_started_again(worker_env, private_redis, tmp_path):
    env = dict(worker_env, REDIS_URL=private_redis.url)
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    key = make_key(a, o)
    server, base = faults.gunicorn(env, tmp_path / "web.log")
    try:
        _while_up(base, key, env)
        before = state(o.id)
        private_redis.stop()
        _while_down(base, key, o.id, before)
        private_redis.start()
        _back_up(base, key, env, private_redis, o.id, before)
    finally:
        server.kill()
    assert "Rate limit storage unreachable - falling back to in-memory storage" in server.output()


def _while_up(base: str, key: str, env: dict) -> None:
    r = faults.post(base + "/api/v1/activities", headers=auth(key),
                      json={"activities": [item("ann", "up-1"), item("bob", "up-2")]})
    assert (r.status_code, r.json()["accepted"]) == (200, 2)
    assert work_burst(env).returncode == 0
    assert {status for _kind, status, _f in runs()} == {"done"}


def _while_down(base: str, key: str, org_id: int, before: tuple) -> None:
    browser, signed_in = faults.browser_session(base, "o@acme.test")
    assert signed_in.status_code == 302                                 # signing in works
    _wrong, refused = faults.browser_session(base, "o@acme.test", "not-the-password")
    assert refused.status_code == 200 and "csrf_token" in refused.text  # the form again, not an error
    page = browser.get(base + "/acme/coffee/")
    assert page.status_code == 200 and 'data-testid="kpis"' in page.text     # rendered without the cache
    had = runs()

    batch = {"activities": [item("ann", "down-1"), item("cyd", "down-2"), item("cyd", "down-3")]}
    r = faults.post(base + "/api/v1/activities", headers=auth(key), json=batch)
    assert (r.status_code, r.json()["accepted"]) == (200, 3)            # stored; its scoring waits
    assert runs() == had                                               # and no run is left queued for it
    stored, counted, members, pending = state(org_id)
    assert (stored, counted, members) == (before[0] + 3, before[1], before[2] + 1) and pending > 0

    pressed = htmx_post(browser, base, "/acme/coffee/recompute", "/acme/coffee/")
    assert pressed.status_code == 503 and UNAVAILABLE in pressed.text and pressed.headers["Retry-After"]
    exported = htmx_post(browser, base, "/acme/audit/export", "/acme/audit/")
    assert exported.status_code == 503 and UNAVAILABLE in exported.text
    assert runs() == had                                               # no job recorded...
    assert audited("recompute_started") == audited("export_started") == 0   # ...nor its audit entry

    health = faults.get(base + "/healthz")
    assert health.status_code == 503
    assert health.json()["down"] == ["redis"] and health.json()["database"] == "ok"


def _back_up(base: str, key: str, env: dict, redis: faults.PrivateRedis, org_id: int, before: tuple) -> None:
    assert faults.get(base + "/healthz").status_code == 200
    browser, signed_in = faults.browser_session(base, "o@acme.test")
    assert signed_in.status_code == 302

    # Redis answers but refuses writes (out of memory): the run is committed, its hand-over fails: failed, not queued.
    conn = Redis.from_url(redis.url)
    conn.config_set("maxmemory-policy", "noeviction")
    conn.config_set("maxmemory", "1")
    pressed = htmx_post(browser, base, "/acme/coffee/recompute", "/acme/coffee/")
    conn.config_set("maxmemory", "0")
    assert pressed.status_code == 503 and UNAVAILABLE in pressed.text
    assert runs()[-1] == ("score_full", "failed", {"code": "unavailable"})

    pressed = htmx_post(browser, base, "/acme/coffee/recompute", "/acme/coffee/")
    assert pressed.status_code == 200 and 'hx-trigger="load delay:1s"' in pressed.text
    tick = faults.subprocess_run(["scheduler", "--once"], env)
    assert "catch_up" in tick.stdout, tick.stderr                     # the deferred scoring is asked for
    assert work_burst(env).returncode == 0
    statuses = [status for _kind, status, _f in runs()]
    assert "queued" not in statuses and "running" not in statuses and statuses.count("failed") == 1
    assert state(org_id) == (before[0] + 3, before[1] + 3, before[2] + 1, 0)     # scored once, nothing pending

    batch = {"activities": [item("ann", "down-1"), item("cyd", "down-2"), item("cyd", "down-3")]}
    again = faults.post(base + "/api/v1/activities", headers=auth(key), json=batch).json()
    assert (again["accepted"], again["duplicates"]) == (0, 3)          # sent again: nothing doubled
    assert browser.get(base + "/acme/coffee/").status_code == 200
