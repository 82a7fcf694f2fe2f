"""Leader candidates' speed: candidates.compute() in one organisation of 200,000 members and 5M activities.

    .venv/bin/python bench/leaders.py                   # 200k members, 5M activities (about five minutes)
    .venv/bin/python bench/leaders.py --members 20000 --activities 500000

Loads a year of 90-9-1 activity as bench/scoring.py does (COPY as a superuser), scores it once (full recompute:
stages and influence, which the candidates read), then times the candidates' computation as the app role,
cold (first run) and warm (best of five), with its plan's top lines.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.ingest import bench_agency, drop_database, setup_database  # noqa: E402
from bench.scoring import load, vacuum  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=200_000)
    ap.add_argument("--activities", type=int, default=5_000_000)
    args = ap.parse_args()
    dbname, app_url, owner_url = setup_database()
    os.environ.update(DATABASE_URL=app_url, MIGRATIONS_DATABASE_URL=owner_url, SECRET_KEY="bench",
                      PUBLIC_URL="http://127.0.0.1")
    os.environ.pop("REDIS_URL", None)
    try:
        run(args, dbname)
    finally:
        drop_database(dbname)


def run(args, dbname: str) -> None:
    from sqlalchemy import delete

    from tenants import scoring
    from tenants.agency import orgs
    from tenants.core.audit import Actor
    from tenants.core.context import tenant_scope
    from tenants.core.db import job_session
    from tenants.leaders import candidates
    from tenants.leaders.models import LeaderCandidate
    agency = bench_agency()
    with tenant_scope(agency.id), job_session() as s:
        org = orgs.create(s, "Org", Actor(email="bench"))
        s.flush()
        org_id = org.id
    now = datetime.now(UTC).replace(microsecond=0)
    t0 = time.perf_counter()
    load(dbname, agency.id, [org_id], args.members, args.activities, now - timedelta(days=1))
    print(f"{args.members:,} members, {args.activities:,} activities loaded in {time.perf_counter() - t0:.0f} s")
    with tenant_scope(agency.id, org_id), job_session() as s:
        t0 = time.perf_counter()
        scoring.full(s, org_id)
        print(f"full recompute (stages, influence): {time.perf_counter() - t0:.1f} s")
    vacuum(dbname)
    times = []
    for _ in range(6):
        with tenant_scope(agency.id, org_id), job_session() as s:
            t0 = time.perf_counter()
            found = candidates.compute(s, org_id)
            s.commit()
            times.append(time.perf_counter() - t0)
    print(f"candidates: {found} found; first run {times[0] * 1000:.0f} ms, best of the next five "
          f"{min(times[1:]) * 1000:.0f} ms")
    with tenant_scope(agency.id, org_id), job_session() as s:
        s.execute(delete(LeaderCandidate))
        plan = s.execute(candidates.explain_sql(), candidates.params(org_id, datetime.now(UTC))).scalars().all()
        print("\n".join(plan[:40]))
        s.rollback()


if __name__ == "__main__":
    main()
