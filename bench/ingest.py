"""Ingest speed: activities/second through the API and the import jobs, beside PostgreSQL's COPY floor.

    .venv/bin/python bench/ingest.py [--activities 200000] [--members 20000] [--api-workers 2]

Creates its own database (as the test suite does: owner + app role, RLS on), generates a community with
90-9-1 participation, and measures, each into a fresh organisation so nothing is a duplicate:
  floor     COPY of the same rows (member ids already resolved) straight into the activity table
  api       POST /api/v1/activities in batches of 5,000 to gunicorn on loopback (identity resolution included)
  csv job   the CSV import job on an uploaded file (parse, validate, resolve, insert)
  telegram  the Telegram import job on an export with the same messages
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")    # the benchmark's own: emptied


def community(members: int, activities: int, seed: int = 7) -> list[dict]:
    """90-9-1: 1% of members write ~60% of activity, 9% ~30%, the remaining 90% ~10%."""
    rng = random.Random(seed)
    core = list(range(max(1, members // 100)))
    active = list(range(len(core), len(core) + members * 9 // 100))
    lurkers = list(range(len(core) + len(active), members))
    start = datetime(2025, 11, 1, tzinfo=UTC)
    kinds = ["message"] * 50 + ["reaction"] * 28 + ["reply"] * 14 + ["post"] * 4 + ["share"] * 2 + ["review"] * 2
    rows = []
    for i in range(activities):
        pool = rng.choices([core, active, lurkers], [60, 30, 10])[0]
        who = rng.choice(pool)
        kind = rng.choice(kinds)
        rows.append({"member": who, "type": kind, "at": start + timedelta(seconds=rng.randrange(365 * 86400)),
                     "source": f"b{i}", "target": rng.choice(core) if kind in ("reply", "reaction") else None})
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(workers: int, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """The app under gunicorn on a free loopback port, with `env` (default: this process's environment);
    returns once /healthz answers. The benchmarks and tests/web/test_gunicorn.py use it."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
                               f"127.0.0.1:{port}", "web:create_app()"],
                              env=dict(env or os.environ, PYTHONPATH=str(ROOT)),
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return server, base


def bench_agency():
    """Migrate the benchmark's database (from the environment set by `setup_database`), connect, and create the
    agency every benchmark works in."""
    from tenants.accounts import users
    from tenants.core.config import Settings, configure
    from tenants.core.db import init_engine
    from tenants.core.migrate import upgrade
    settings = Settings.from_env()
    configure(settings)
    upgrade(settings)
    init_engine(settings.database_url, settings.system_database_url)
    return users.create_agency("Bench", "Bench", "bench@bench.test", "bench-password-1").agency


def setup_database() -> tuple[str, str, str]:
    name = f"communa_bench_{secrets.token_hex(3)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        for role in ("communa_test_owner", "communa_test_app"):
            if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                admin.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS")
        admin.execute(f"CREATE DATABASE {name} OWNER communa_test_owner")
    return (name, f"postgresql+psycopg://communa_test_app@127.0.0.1:5432/{name}",
            f"postgresql+psycopg://communa_test_owner@127.0.0.1:5432/{name}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--activities", type=int, default=200_000)
    ap.add_argument("--members", type=int, default=20_000)
    ap.add_argument("--api-workers", type=int, default=2)
    args = ap.parse_args()

    dbname, app_url, owner_url = setup_database()
    os.environ.update(DATABASE_URL=app_url, MIGRATIONS_DATABASE_URL=owner_url, SYSTEM_DATABASE_URL=owner_url,
                      SECRET_KEY="bench",
                      PUBLIC_URL="http://127.0.0.1", API_RATE_LIMIT="100000 per minute")
    # As in production, each batch requests its scoring job from RQ (REDIS_URL above, emptied here) and no worker
    # runs during the measurement: this measures ingest, scoring has its own benchmark (bench/scoring.py).
    # Without Redis the jobs would run on threads inside the gunicorn workers and compete with the requests.
    os.environ["REDIS_URL"] = REDIS_URL
    import redis
    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    agency = bench_agency()
    from tenants.agency import apikeys, orgs
    from tenants.core.audit import Actor
    from tenants.core.context import tenant_scope
    from tenants.core.db import job_session

    def new_org(name: str):
        with tenant_scope(agency.id), job_session() as s:
            o = orgs.create(s, name, Actor(email="bench"))
            s.flush()
            return o.id

    rows = community(args.members, args.activities)
    n = len(rows)
    print(f"community: {args.members} members, {n} activities (90-9-1), "
          f"{sum(1 for r in rows if r['member'] < args.members // 100) / n:.0%} by the top 1%")
    results = {}

    # --- floor: COPY into the activity table, members already resolved ---------------------------
    floor_org = new_org("Floor")
    from tenants.community.ingest import resolve_members
    from tenants.community.validate import IdentityRef
    with tenant_scope(agency.id, floor_org), job_session() as s:
        mapping, _ = resolve_members(s, floor_org, [IdentityRef("telegram", str(m)) for m in range(args.members)])
    ids = {int(ext): mid for (_c, ext), mid in mapping.items()}
    buf = io.StringIO()
    now = datetime.now(UTC).isoformat()
    for r in rows:
        target = ids[r["target"]] if r["target"] is not None else "\\N"
        buf.write(f"{agency.id}\t{floor_org}\t{ids[r['member']]}\t{target}\t{r['type']}\ttelegram\t"
                  f"{r['at'].isoformat()}\t\\N\t{r['source']}\t{{}}\t{now}\n")
    data = buf.getvalue()
    # PostgreSQL refuses COPY FROM into a table with row-level security, so the floor is measured as a
    # superuser (no RLS): the raw cost of putting these rows, with their indexes, into the table.
    admin_db = ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname
    with psycopg.connect(admin_db) as conn:
        t0 = time.perf_counter()
        with conn.cursor().copy("COPY activity (agency_id, org_id, member_id, target_member_id, type, channel, "
                                "occurred_at, weight, source_id, meta, created_at) FROM STDIN") as copy:
            copy.write(data)
        conn.commit()
        results["floor (COPY)"] = n / (time.perf_counter() - t0)

    # --- API through gunicorn ----------------------------------------------------------------------
    api_org = new_org("API")
    with tenant_scope(agency.id, api_org), job_session() as s:
        _key, token = apikeys.create(s, api_org, "bench", Actor(email="bench"))
    server, base = start_gunicorn(args.api_workers)

    def item(r):
        d = {"member": {"channel": "telegram", "external_id": str(r["member"]),
                        "display_name": f"Member {r['member']}"},
             "type": r["type"], "occurred_at": r["at"].isoformat(), "source_id": r["source"]}
        if r["target"] is not None:
            d["target"] = {"channel": "telegram", "external_id": str(r["target"])}
        return d

    batches = [json.dumps({"activities": [item(r) for r in rows[i:i + 5000]]}).encode()
               for i in range(0, n, 5000)]
    accepted = []

    def send(chunk):
        for body in chunk:
            req = urllib.request.Request(base + "/api/v1/activities", data=body, method="POST",
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
            accepted.append(json.loads(urllib.request.urlopen(req, timeout=300).read())["accepted"])

    t0 = time.perf_counter()
    threads = [threading.Thread(target=send, args=(batches[i::args.api_workers],)) for i in range(args.api_workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results[f"api ({args.api_workers} gunicorn workers, 5,000 per call)"] = sum(accepted) / (time.perf_counter() - t0)
    server.terminate()
    server.wait(10)
    assert sum(accepted) == n, (sum(accepted), n)

    # --- CSV job ----------------------------------------------------------------------------------
    from tenants.agency import jobs as job_service
    from tenants.agency.models import JobRun
    from tenants.community.models import Upload
    from workers.runner import run

    def job(org_id: int, filename: str, content: bytes, upload_kind: str, kind: str, params: dict) -> float:
        with tenant_scope(agency.id, org_id), job_session() as s:
            up = Upload(org_id=org_id, filename=filename, kind=upload_kind, size=len(content), content=content)
            s.add(up)
            s.flush()
            jr = job_service.create(s, kind, org_id, {"upload_id": up.id, **params}, None)
            s.flush()
            run_id = jr.id
        t0 = time.perf_counter()
        run(run_id, agency.id)
        elapsed = time.perf_counter() - t0
        with tenant_scope(agency.id, org_id), job_session() as s:
            result = s.get(JobRun, run_id).result
        assert result["imported"] == n, result
        return n / elapsed

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["member_id", "name", "type", "date", "source_id", "reply_to"])
    for r in rows:
        w.writerow([r["member"], f"Member {r['member']}", r["type"], r["at"].isoformat(), r["source"],
                    "" if r["target"] is None else r["target"]])
    csv_org = new_org("CSV")
    results["csv job"] = job(csv_org, "bench.csv", out.getvalue().encode(), "csv", "csv_import",
                             {"kind": "activities", "mode": "skip", "default_channel": "telegram", "tz": "UTC",
                              "mapping": ["external_id", "display_name", "type", "occurred_at", "source_id",
                                          "target_external_id"]})

    # --- Telegram job: one message (or reaction) per activity ---------------------------------------
    messages = []
    for i, r in enumerate(rows):
        messages.append({"id": i + 1, "type": "message", "date": r["at"].replace(tzinfo=None).isoformat(),
                         "date_unixtime": str(int(r["at"].timestamp())), "from": f"Member {r['member']}",
                         "from_id": f"user{r['member']}", "text": ""})
    tg_org = new_org("Telegram")
    results["telegram job"] = job(tg_org, "result.json", json.dumps({"id": 1, "name": "bench", "type":
                                  "public_supergroup", "messages": messages}).encode(), "telegram",
                                  "telegram_import", {})

    floor = results["floor (COPY)"]
    print(f"\n{'path':<48}{'activities/s':>14}{'of floor':>10}")
    for name, rate in results.items():
        print(f"{name:<48}{rate:>14,.0f}{rate / floor:>10.0%}")
    drop_database(dbname)


def drop_database(dbname: str) -> None:
    if os.environ.get("REDIS_URL") == REDIS_URL:
        import redis
        redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    from tenants.core.db import get_engine
    get_engine().dispose()
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")


if __name__ == "__main__":
    main()
