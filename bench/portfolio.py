"""The agency portfolio's speed: the home page's rows for 100 organisations, each with a year of stored daily
figures, beside the floor of the same figures read by hand-written SQL in psql.

    .venv/bin/python bench/portfolio.py                     # 100 organisations, 365 days each
    .venv/bin/python bench/portfolio.py --orgs 5 --days 40 --runs 3

Creates the organisations through the service, writes a year of org_day rows per organisation as the metrics pass
would (the latest with its snapshot, 30-day window and monthly figures), ingests a little activity, fails an import
in every tenth organisation, then times `tenants.portfolio.rows` as the app role (visible organisations included;
p50 / p95 of --runs after one warm-up) and the hand-written statements with psql's \\timing.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.ingest import ADMIN_URL, bench_agency, drop_database, setup_database  # noqa: E402

FLOOR = """
SELECT o.id, l.day, (l.data ->> 'members')::int, (l.data -> 'stages' ->> 'loyal')::int,
       (l.data -> 'stages' ->> 'advocate')::int, (l.data ->> 'at_risk')::int, (l.data ->> 'mau')::int,
       (l.data -> 'windows' -> '30' -> 'now' -> 'nps' ->> 'score')::int,
       (p.data ->> 'members')::int, (p.data ->> 'at_risk')::int, (p.data ->> 'mau')::int,
       (SELECT max(a.occurred_at) FROM activity a WHERE a.org_id = o.id)
FROM organisation o
CROSS JOIN LATERAL (SELECT d.day, d.data FROM org_day d WHERE d.org_id = o.id ORDER BY d.day DESC LIMIT 1) l
LEFT JOIN org_day p ON p.org_id = o.id AND p.day = l.day - 30
WHERE o.agency_id = {agency} AND o.archived_at IS NULL ORDER BY o.name"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orgs", type=int, default=100)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    dbname, app_url, owner_url = setup_database()
    os.environ.update(DATABASE_URL=app_url, MIGRATIONS_DATABASE_URL=owner_url, SYSTEM_DATABASE_URL=owner_url,
                      SECRET_KEY="bench", PUBLIC_URL="http://127.0.0.1")
    os.environ.pop("REDIS_URL", None)
    try:
        run(args, dbname)
    finally:
        drop_database(dbname)


def _pct(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values) * 1000, values[min(len(values) - 1, int(len(values) * 0.95))] * 1000


def _day(rng_key: int, day: int, members: int) -> dict:
    mau = members // 3 + (rng_key * 7 + day) % 50
    return {"dau": mau // 10, "wau": mau // 3, "mau": mau, "activities": mau * 4,
            "by_type": {"message": mau * 3, "reaction": mau}, "by_channel": {"telegram": mau * 4},
            "members": members, "at_risk": (rng_key + day) % 40,
            "stages": {"newcomer": members // 2, "participant": members // 4, "active": members // 8,
                       "loyal": members // 16, "advocate": members // 32}}


def _monthly() -> dict:
    months = list(range(13))
    return {"months": months, "labels": [f"2026-{m + 1:02d}" for m in months],
            "stages": {s: [100] * 13 for s in ("newcomer", "participant", "active", "loyal", "advocate")},
            "movement": {str(m): [["active", "loyal", 10]] * 20 for m in months},
            "cohorts": [[m, 100, [50] * (13 - m)] for m in months], "nps": [None] * 13}


def _load(dbname: str, agency_id: int, org_ids: list[int], days: int, today: int) -> None:
    """A year of org_day rows per organisation (as the superuser, like the other benchmarks' loads)."""
    import psycopg
    with psycopg.connect(ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname) as conn, conn.cursor() as cur:
        for k, org_id in enumerate(org_ids):
            members = 500 + 97 * k
            rows = []
            for day in range(today - days + 1, today + 1):
                data = _day(k, day, members)
                if day == today:
                    data["windows"] = {"30": {"now": {"nps": {"score": k % 60 - 20}}}}
                    data["monthly"] = _monthly()
                rows.append((agency_id, org_id, day, json.dumps(data)))
            cur.executemany("INSERT INTO org_day (agency_id, org_id, day, data) VALUES (%s, %s, %s, %s)", rows)
        conn.commit()
    with psycopg.connect(ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE org_day")


def _psql_floor(dbname: str, sql: str, runs: int) -> tuple[float, float]:
    script = "\\timing on\n" + "\n".join([sql.replace("\n", " ") + ";"] * (runs + 1))
    out = subprocess.run(["psql", ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname, "-X", "-q", "-At"],
                         input=script, capture_output=True, text=True, check=True).stdout
    return _pct([float(t) / 1000 for t in re.findall(r"Time: ([0-9.]+) ms", out)][1:])


def run(args, dbname: str) -> None:
    from sqlalchemy import update

    from tenants import portfolio
    from tenants.agency import access, jobs, orgs
    from tenants.agency.access import Membership
    from tenants.agency.models import JobRun
    from tenants.community.ingest import ingest
    from tenants.community.validate import ActivityIn, IdentityRef
    from tenants.core.audit import Actor
    from tenants.core.context import tenant_scope
    from tenants.core.days import day_number
    from tenants.core.db import job_session
    agency = bench_agency()
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    with tenant_scope(agency.id), job_session() as s:
        org_ids = [orgs.create(s, f"Client {i:03d}", Actor(email="bench")).id for i in range(args.orgs)]
        s.commit()
    for k, org_id in enumerate(org_ids):
        with tenant_scope(agency.id, org_id), job_session() as s:
            ingest(s, org_id, [ActivityIn(IdentityRef("telegram", f"m{i}", display_name=f"M {i}"), "message",
                                          now - timedelta(hours=i * (1 + k % 10) * 5), f"a{i}", "telegram")
                               for i in range(20)], rescore=False)
            if k % 10 == 0:
                run_ = jobs.create(s, "csv_import", org_id, {}, None)
                s.flush()
                s.execute(update(JobRun).where(JobRun.id == run_.id).values(status="failed"))
            s.commit()
    _load(dbname, agency.id, org_ids, args.days, day_number(now))
    print(f"{args.orgs} organisations, {args.orgs * args.days:,} org_day rows loaded in "
          f"{time.perf_counter() - t0:.0f} s")
    times, n, flagged = [], 0, 0
    for _i in range(args.runs + 1):
        with tenant_scope(agency.id), job_session() as s:
            t0 = time.perf_counter()
            rows = portfolio.rows(s, access.visible_orgs(s, Membership(0, "owner")))
            times.append(time.perf_counter() - t0)
            n, flagged = len(rows), sum(1 for r in rows if r.attention)
    p50, p95 = _pct(times[1:])
    f50, f95 = _psql_floor(dbname, FLOOR.format(agency=agency.id), args.runs)
    print(f"portfolio rows: {n} organisations, {flagged} need attention")
    print(f"portfolio (tenants.portfolio.rows, app role) p50/p95: {p50:.1f} / {p95:.1f} ms")
    print(f"floor (hand-written SQL, psql) p50/p95: {f50:.1f} / {f95:.1f} ms")
    if n != args.orgs:
        raise SystemExit(f"the portfolio shows {n} organisations, not {args.orgs}")


if __name__ == "__main__":
    main()
