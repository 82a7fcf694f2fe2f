"""Member list speed on a large community: the page a manager opens, at 200,000 members.

    .venv/bin/python bench/members.py [--members 200000]

Creates its own database, loads the members (two activities each, 90-9-1 is irrelevant here: the list is
about members), logs in as the owner and times the members page through the Flask app, in-process:
first page, pages deep in the keyset, substring search, tag filter, sort by name. The floor is the plain
SQL for the first page (ORDER BY last_active LIMIT 50) measured in the same run.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.ingest import ADMIN_URL, drop_database, setup_database  # noqa: E402


def timed(fn, n: int = 20) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=200_000)
    args = ap.parse_args()
    dbname, app_url, owner_url = setup_database()
    os.environ.update(DATABASE_URL=app_url, MIGRATIONS_DATABASE_URL=owner_url, SECRET_KEY="bench",
                      PUBLIC_URL="http://127.0.0.1")
    os.environ.pop("REDIS_URL", None)
    from tenants.core.config import Settings
    from tenants.core.migrate import upgrade
    upgrade(Settings.from_env())
    from web import create_app
    app = create_app()
    from tenants.accounts import users
    from tenants.agency import orgs
    from tenants.community.ingest import ingest
    from tenants.community.profile import add_tag
    from tenants.community.validate import ActivityIn, IdentityRef
    from tenants.core.audit import Actor
    from tenants.core.context import tenant_scope
    from tenants.core.db import job_session
    agency = users.create_agency("Bench", "Bench", "bench@bench.test", "bench-password-1").agency
    with tenant_scope(agency.id), job_session() as s:
        org = orgs.create(s, "Big Community", Actor(email="bench"))
        s.flush()
        org_id, slug = org.id, org.slug
    t0 = time.perf_counter()
    start = datetime(2025, 12, 1, tzinfo=UTC)
    for base in range(0, args.members, 5000):
        acts = []
        for n in range(base, min(base + 5000, args.members)):
            ref = IdentityRef("telegram", str(n), handle=f"@user{n}", display_name=f"Участник {n:06d}")
            for k in range(2):
                acts.append(ActivityIn(ref, "message", start + timedelta(minutes=(n * 7 + k * 131) % 500000),
                                       f"m{n}-{k}", "telegram"))
        with tenant_scope(agency.id, org_id), job_session() as s:
            # No scoring job: ingest would request one, and the app's in-process dispatcher would run it on a
            # thread during the timings, moving members up the list under the keyset cursor.
            ingest(s, org_id, acts, rescore=False)
            if base % 50000 == 0:
                from sqlalchemy import select

                from tenants.community.models import Member
                add_tag(s, list(s.scalars(select(Member.id).where(Member.org_id == org_id).limit(2000))), "vip")
    print(f"loaded {args.members} members in {time.perf_counter() - t0:.0f} s")
    with psycopg.connect(ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname, autocommit=True) as c:
        c.execute("ANALYZE")

    client = app.test_client()
    html = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/login", data={"email": "bench@bench.test", "password": "bench-password-1", "csrf_token": token})
    url = f"/bench/{slug}/members/"
    first = client.get(url)
    assert first.status_code == 200
    total = client.get(f"{url}count", headers={"HX-Request": "true"}).text
    assert str(args.members) in total.replace(",", "").replace("\u00a0", ""), total

    def deep():
        nonlocal cursor
        r = client.get(f"{url}?cursor={cursor}", headers={"HX-Request": "true"})
        cursor = re.search(r"cursor=([^\"&]+)", r.text).group(1)

    cursor = re.search(r"cursor=([^\"&]+)", first.text).group(1)
    rows = [
        ("first page (50 of all, by last activity)", lambda: client.get(url)),
        ("the member count (its own fragment)", lambda: client.get(f"{url}count", headers={"HX-Request": "true"})),
        ("next pages, 20 deep and on (keyset cursor)", deep),
        ("search 'user1234' (name, handle, email)", lambda: client.get(f"{url}?q=user1234")),
        ("filter by tag", lambda: client.get(f"{url}?tag=vip")),
        ("sort by name", lambda: client.get(f"{url}?sort=name")),
    ]
    with psycopg.connect(app_url.replace("+psycopg", "")) as c:
        c.execute("SELECT set_config('app.agency_id', %s, false)", (str(agency.id),))
        floor = timed(lambda: c.execute("SELECT * FROM member WHERE org_id = %s ORDER BY last_active_at DESC NULLS "
                                        "LAST, id DESC LIMIT 51", (org_id,)).fetchall())
    print(f"\n{'members page, ' + str(args.members) + ' members':<48}{'median ms':>10}{'p95 ms':>9}")
    print(f"{'floor: the first page query alone (SQL)':<48}{floor[0]:>10.1f}{floor[1]:>9.1f}")
    for name, fn in rows:
        med, p95 = timed(fn)
        print(f"{name:<48}{med:>10.1f}{p95:>9.1f}")
    drop_database(dbname)


if __name__ == "__main__":
    main()
