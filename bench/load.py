"""Load check: concurrent ingest on several organisations while dashboards are read and scoring runs.

    .venv/bin/python bench/load.py [--orgs 4] [--seconds 30] [--ingest-clients 4] [--batch 200] [--dashboard-clients 8]

Creates its own database (owner + app role, RLS on, as the tests do), an agency with `--orgs` organisations,
each with an API key and a seeded, scored history. Then, for `--seconds`, all at once:
  ingest      `--ingest-clients` threads POST /api/v1/activities to gunicorn on loopback, each batch to a random
              organisation; one batch in ten is sent again (its activities must count as duplicates)
  dashboards  wrk reads the organisations' dashboards in turn with `--dashboard-clients` connections
  scoring     a real RQ worker (`communa worker`) runs the incremental job each batch requests, and a full
              recompute of each organisation is requested while the load runs
Afterwards the worker drains the queue, and the run fails (exit 1) unless:
  stored = accepted   activities stored per organisation = seeded + accepted by the API
  counters            every member's activity count, first seen and last active equal its activity
  scores              a full recompute changes no score; the scoring queue is empty; no job failed
  no 5xx              no ingest call and no dashboard read answered anything but 2xx
It prints the p50/p95 of ingest calls and dashboard reads (figures, never asserted).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.ingest import drop_database, setup_database, start_gunicorn  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")    # the benchmark's own: emptied
KINDS = ["message"] * 50 + ["reaction"] * 28 + ["reply"] * 14 + ["post"] * 4 + ["share"] * 2 + ["review"] * 2

# wrk: each connection reads the dashboards in turn; one line of figures at the end (wrk prints no p95).
WRK_SCRIPT = """
paths = {%s}
i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format(nil, paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("communa p50=%%.3f p95=%%.3f requests=%%d seconds=%%.3f errors=%%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


class Ingest:
    """API clients: batches to random organisations, their latencies, statuses and what each accepted."""

    def __init__(self, base: str, tokens: dict[int, str], members: int, batch: int, seconds: float):
        self.base, self.tokens, self.members, self.batch = base, tokens, members, batch
        self.deadline = time.monotonic() + seconds
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.accepted: dict[int, int] = dict.fromkeys(tokens, 0)
        self.duplicates = 0
        self.sent = 0

    def client(self, n: int) -> None:
        rng = random.Random(n)
        now = datetime.now(UTC)
        i = 0
        while time.monotonic() < self.deadline:
            org = rng.choice(list(self.tokens))
            items = [{"member": {"channel": "telegram", "external_id": str(rng.randrange(self.members)),
                                 "display_name": "Load member"},
                      "type": KINDS[rng.randrange(len(KINDS))], "source_id": f"c{n}b{i}i{k}",
                      "occurred_at": (now - timedelta(seconds=rng.randrange(3 * 86400))).isoformat()}
                     for k in range(self.batch)]
            body = json.dumps({"activities": items}).encode()
            self.post(org, body)
            if i % 10 == 0:
                self.post(org, body)         # sent again: every activity is a duplicate
            i += 1

    def post(self, org: int, body: bytes) -> None:
        req = urllib.request.Request(self.base + "/api/v1/activities", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {self.tokens[org]}",
                                              "Content-Type": "application/json"})
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                status, answer = resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, None
        elapsed = time.perf_counter() - t0
        with self.lock:
            self.latencies.append(elapsed * 1000)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.sent += 1
            if answer is not None:
                self.accepted[org] += answer["accepted"]
                self.duplicates += answer["duplicates"]


def read_dashboards(base: str, paths: list[str], cookie: str, clients: int, seconds: float) -> dict:
    """wrk over the dashboards for `seconds`: p50, p95 (ms), requests, seconds, errors (any non-2xx counts)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
        script.flush()
        out = subprocess.run(["wrk", "--threads", str(min(2, clients)), "--connections", str(clients),
                              "--duration", f"{max(1, round(seconds))}s", "--timeout", "60s", "--script", script.name,
                              "--header", f"Cookie: {cookie}", base + paths[0]],
                             capture_output=True, text=True, check=True).stdout
    return {k: float(v) for k, v in (kv.split("=") for kv in re.search(r"communa (.*)", out).group(1).split())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orgs", type=int, default=4)
    ap.add_argument("--members", type=int, default=2_000, help="members per organisation")
    ap.add_argument("--seed-activities", type=int, default=20_000, help="history per organisation")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--ingest-clients", type=int, default=4)
    ap.add_argument("--batch", type=int, default=200, help="activities per API call")
    ap.add_argument("--dashboard-clients", type=int, default=8)
    ap.add_argument("--web-workers", type=int, default=2)
    args = ap.parse_args()
    dbname, app_url, owner_url = setup_database()
    os.environ.update(DATABASE_URL=app_url, MIGRATIONS_DATABASE_URL=owner_url, SECRET_KEY="bench",
                      REDIS_URL=REDIS_URL, API_RATE_LIMIT="1000000 per minute")
    import redis
    redis.Redis.from_url(REDIS_URL).flushdb()
    try:
        failures = run(args)
    finally:
        drop_database(dbname)
    if failures:
        raise SystemExit("load check failed:\n  " + "\n  ".join(failures))


def run(args) -> list[str]:
    from tenants.core.config import Settings, configure
    from tenants.core.db import init_engine
    from tenants.core.migrate import upgrade
    settings = Settings.from_env()
    configure(settings)
    upgrade(settings)
    init_engine(settings.database_url, settings.system_database_url)
    agency, orgs = setup(args)
    with tempfile.TemporaryFile("w+") as worker_log:
        return _load(args, agency, orgs, worker_log)


def _load(args, agency: int, orgs: dict[int, str], worker_log) -> list[str]:
    """The load itself, the drain and the checks; the worker's output goes to `worker_log`."""
    worker = subprocess.Popen([sys.executable, "-m", "web.cli", "worker"], cwd=ROOT,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=worker_log, stderr=worker_log)
    server, base = start_gunicorn(args.web_workers)
    try:
        cookie = login(base)
        paths = [f"/bench/{slug}/?days=30" for slug in orgs.values()]
        load = Ingest(base, {org: token for org, (token, _slug) in _tokens(agency, orgs).items()}, args.members,
                      args.batch, args.seconds)
        clients = [threading.Thread(target=load.client, args=(n,)) for n in range(args.ingest_clients)]
        recompute = threading.Thread(target=request_recomputes, args=(agency, list(orgs), args.seconds))
        t0 = time.perf_counter()
        for t in [*clients, recompute]:
            t.start()
        dash = read_dashboards(base, paths, cookie, args.dashboard_clients, args.seconds)
        for t in [*clients, recompute]:
            t.join()
        elapsed = time.perf_counter() - t0
        drained = drain(agency, list(orgs), timeout=max(120.0, args.seconds * 4))
    finally:
        server.terminate()
        server.wait(10)
        worker.terminate()
        worker.wait(30)
    failures = [] if drained else ["the scoring queue did not drain"]
    failures += check(agency, orgs, load, args.seed_activities)
    if load.statuses.keys() - {200}:
        failures.append(f"ingest answered {load.statuses}")
    if dash["errors"] or not dash["requests"]:
        failures.append(f"dashboard reads: {int(dash['errors'])} errors of {int(dash['requests'])}")
    report(args, load, dash, elapsed, ok=not failures)
    if failures:
        worker_log.seek(0)
        print("worker log (end):\n" + worker_log.read()[-3000:], file=sys.stderr)
    return failures


def setup(args) -> tuple[int, dict[int, str]]:
    """The agency, its organisations (id → slug) with a scored history each."""
    from tenants import scoring
    from tenants.accounts import users
    from tenants.agency import orgs as org_service
    from tenants.community.ingest import ingest
    from tenants.community.validate import ActivityIn, IdentityRef
    from tenants.core.audit import Actor
    from tenants.core.context import tenant_scope
    from tenants.core.db import job_session
    from tenants.metrics import rollups
    agency = users.create_agency("Bench", "Bench", "bench@bench.test", "bench-password-1").agency.id
    with tenant_scope(agency), job_session() as s:
        made = [org_service.create(s, f"Org {i}", Actor(email="bench")) for i in range(args.orgs)]
        s.flush()
        orgs = {o.id: o.slug for o in made}
    rng = random.Random(3)
    now = datetime.now(UTC)
    for org in orgs:
        items = [ActivityIn(IdentityRef("telegram", str(rng.randrange(args.members)), display_name="Load member"),
                            KINDS[rng.randrange(len(KINDS))], now - timedelta(seconds=rng.randrange(365 * 86400)),
                            f"seed{j}", "telegram") for j in range(args.seed_activities)]
        with tenant_scope(agency, org), job_session() as s:
            for i in range(0, len(items), 5000):
                ingest(s, org, items[i:i + 5000], rescore=False)
        with tenant_scope(agency, org), job_session() as s:
            scoring.full(s, org)
            rollups.rollup(s, org)
    return agency, orgs


def _tokens(agency: int, orgs: dict[int, str]) -> dict[int, tuple[str, str]]:
    from tenants.agency import apikeys
    from tenants.core.audit import Actor
    from tenants.core.context import tenant_scope
    from tenants.core.db import job_session
    out = {}
    for org, slug in orgs.items():
        with tenant_scope(agency, org), job_session() as s:
            _key, token = apikeys.create(s, org, "load", Actor(email="bench"))
        out[org] = (token, slug)
    return out


def login(base: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    opener.open(base + "/login", data=urllib.parse.urlencode({
        "email": "bench@bench.test", "password": "bench-password-1", "csrf_token": token}).encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def request_recomputes(agency: int, orgs: list[int], seconds: float) -> None:
    """A full recompute of each organisation, spread over the first half of the load."""
    from tenants.core.context import tenant_scope
    from tenants.core.db import job_session
    from workers.scoring import request_full
    for org in orgs:
        time.sleep(seconds / 2 / len(orgs))
        with tenant_scope(agency, org), job_session() as s:
            request_full(s, org)


def drain(agency: int, orgs: list[int], timeout: float) -> bool:
    """Wait for the worker to finish every scoring job and empty the queue."""
    from sqlalchemy import text

    from tenants.core.context import tenant_scope
    from tenants.core.db import job_session
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with tenant_scope(agency), job_session() as s:
            busy = s.scalar(text("SELECT count(*) FROM job_run WHERE status IN ('queued', 'running')"))
            pending = s.scalar(text("SELECT count(*) FROM score_pending WHERE org_id = ANY(CAST(:o AS bigint[]))"),
                               {"o": orgs})
        if not busy and not pending:
            return True
        time.sleep(0.5)
    return False


def check(agency: int, orgs: dict[int, str], load: Ingest, seeded: int) -> list[str]:
    """The invariants after the load (see the module's docstring)."""
    from sqlalchemy import text

    from tenants import scoring
    from tenants.core.context import tenant_scope
    from tenants.core.db import job_session
    failures = []
    with tenant_scope(agency), job_session() as s:
        failed = s.scalar(text("SELECT count(*) FROM job_run WHERE status = 'failed'"))
    if failed:
        failures.append(f"{failed} jobs failed")
    for org in orgs:
        with tenant_scope(agency, org), job_session() as s:
            stored = s.scalar(text("SELECT count(*) FROM activity WHERE org_id = :o"), {"o": org})
            if stored != seeded + load.accepted[org]:
                failures.append(f"organisation {org}: {stored} stored, {seeded} seeded + {load.accepted[org]} accepted")
            off = s.scalar(text("""
                SELECT count(*) FROM member m LEFT JOIN (
                    SELECT member_id, count(*) AS n, min(occurred_at) AS f, max(occurred_at) AS l FROM activity
                    WHERE org_id = :o GROUP BY member_id) a ON a.member_id = m.id
                WHERE m.org_id = :o AND (m.activity_count <> coalesce(a.n, 0) OR m.first_seen_at IS DISTINCT FROM a.f
                                         OR m.last_active_at IS DISTINCT FROM a.l)"""), {"o": org})
            if off:
                failures.append(f"organisation {org}: {off} members' counters differ from their activity")
            # B, not the score: the score decays between the runs, B is the same sum from any moment.
            before = dict(s.execute(text("SELECT id, score_base FROM member WHERE org_id = :o"), {"o": org}).all())
        with tenant_scope(agency, org), job_session() as s:
            scoring.full(s, org)
        with tenant_scope(agency, org), job_session() as s:
            after = dict(s.execute(text("SELECT id, score_base FROM member WHERE org_id = :o"), {"o": org}).all())
        moved = [m for m, v in after.items() if not _close(before.get(m), v)]
        if moved:
            failures.append(f"organisation {org}: a full recompute changed {len(moved)} scores")
    return failures


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= 1e-9 * (1 + abs(b)))


def report(args, load: Ingest, dash: dict, elapsed: float, ok: bool) -> None:
    lat = sorted(load.latencies)
    p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else 0.0
    accepted = sum(load.accepted.values())
    print(f"load: {args.orgs} organisations, {args.ingest_clients} ingest clients ({args.batch} per call), "
          f"{args.dashboard_clients} dashboard connections, {elapsed:.0f} s")
    print(f"\n{'measure':<40}{'p50 ms':>10}{'p95 ms':>10}  note")
    print(f"{'ingest (POST /api/v1/activities)':<40}{statistics.median(lat) if lat else 0:>10,.1f}{p95:>10,.1f}  "
          f"{load.sent:,} calls, {accepted / elapsed:,.0f} activities/s accepted, {load.duplicates:,} duplicates")
    print(f"{'dashboard (GET, organisations in turn)':<40}{dash['p50']:>10,.1f}{dash['p95']:>10,.1f}  "
          f"{int(dash['requests']):,} reads, {dash['requests'] / dash['seconds']:,.1f} req/s")
    if ok:
        print(f"\nstored = accepted, counters = activity, full recompute = incremental scores, no 5xx: checked "
              f"({accepted:,} accepted)")


if __name__ == "__main__":
    main()
