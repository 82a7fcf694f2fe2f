"""Segment rules' speed: preview count and first page of typical rules in one organisation of 200,000 members
and 5M activities, each beside the floor of the same query written by hand and run by psql.

    .venv/bin/python bench/segments.py                   # 200k members, 5M activities (about five minutes)
    .venv/bin/python bench/segments.py --members 20000 --activities 500000

Loads a year of 90-9-1 activity as bench/scoring.py does, gives a third of the members a VK identity, a
seventh the tag "vip" and a fifth the custom field plan, scores once (stages, influence), then times each
rule through the engine as the app role (count, and the first page of 50 by last activity; p50 / p95 of 20
runs after one warm-up) and its hand-written count with psql's \\timing (p50 / p95 of 20).
"""
from __future__ import annotations

import argparse
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
from bench.ingest import bench_agency, drop_database, setup_database  # noqa: E402
from bench.scoring import ADMIN_URL, load, vacuum  # noqa: E402

LIVE = ("m.org_id = {org} AND m.merged_into_id IS NULL AND m.erased_at IS NULL AND NOT m.is_staff "
        "AND NOT m.is_bot")
RULES = {
    "stage + vk + 3 messages in 30 days": (
        {"all": [{"field": "stage", "op": "in", "value": ["active", "loyal", "advocate"]},
                 {"field": "channel", "op": "eq", "value": "vk"},
                 {"field": "activity", "op": "gte", "value": {"type": "message", "count": 3, "within_days": 30}}]},
        "SELECT count(*) FROM member m WHERE " + LIVE + " AND m.stage IN ('active', 'loyal', 'advocate') "
        "AND m.id IN (SELECT member_id FROM identity WHERE org_id = {org} AND channel = 'vk') "
        "AND m.id IN (SELECT member_id FROM member_day WHERE org_id = {org} AND type = 'message' "
        "AND day >= {day30} GROUP BY member_id HAVING sum(n) >= 3)"),
    "attribute + tag + active 60 days + not newcomer": (
        {"all": [{"field": "attr.plan", "op": "eq", "value": "gold"}, {"field": "tag", "op": "eq", "value": "vip"},
                 {"field": "last_active", "op": "within_days", "value": 60},
                 {"not": {"field": "stage", "op": "eq", "value": "newcomer"}}]},
        "SELECT count(*) FROM member m WHERE " + LIVE + " AND m.attributes ->> 'plan' = 'gold' "
        "AND m.id IN (SELECT member_id FROM member_tag WHERE org_id = {org} AND tag = 'vip') "
        "AND m.last_active_at >= '{since60}' AND m.stage IS DISTINCT FROM 'newcomer'"),
    "advocate, or replies in 14 days and influence > 50; not vip": (
        {"all": [{"any": [{"field": "stage", "op": "eq", "value": "advocate"},
                          {"all": [{"field": "activity", "op": "gte",
                                    "value": {"type": "reply", "count": 1, "within_days": 14}},
                                   {"field": "influence", "op": "gt", "value": 50}]}]},
                 {"field": "tag", "op": "ne", "value": "vip"}]},
        "SELECT count(*) FROM member m WHERE " + LIVE + " AND (m.stage = 'advocate' OR (m.id IN (SELECT member_id "
        "FROM member_day WHERE org_id = {org} AND type = 'reply' AND day >= {day14}) AND m.influence > 50)) "
        "AND NOT EXISTS (SELECT 1 FROM member_tag t WHERE t.member_id = m.id AND t.org_id = {org} "
        "AND t.tag = 'vip')"),
    "churned: active in 90 days, quiet 30, on telegram": (
        {"all": [{"field": "activity", "op": "gte", "value": {"count": 1, "within_days": 90}},
                 {"field": "activity", "op": "eq", "value": {"count": 0, "within_days": 30}},
                 {"field": "channel", "op": "eq", "value": "telegram"}]},
        "SELECT count(*) FROM member m WHERE " + LIVE + " AND m.id IN (SELECT member_id FROM member_day "
        "WHERE org_id = {org} AND day >= {day90}) AND NOT EXISTS (SELECT 1 FROM member_day d "
        "WHERE d.member_id = m.id AND d.org_id = {org} AND d.day >= {day30}) "
        "AND m.id IN (SELECT member_id FROM identity WHERE org_id = {org} AND channel = 'telegram')"),
}
RUNS = 20


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


def _pct(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values) * 1000, values[min(len(values) - 1, int(len(values) * 0.95))] * 1000


def _extras(dbname: str, org_id: int) -> None:
    """VK identities, tags and a custom field on some members (written as the superuser, like the load)."""
    import psycopg
    with psycopg.connect(ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname) as conn:
        conn.execute("INSERT INTO identity (agency_id, org_id, member_id, channel, external_id, created_at) "
                     "SELECT agency_id, org_id, id, 'vk', 'vk' || id, now() FROM member WHERE org_id = %s "
                     "AND id %% 3 = 0", (org_id,))
        conn.execute("INSERT INTO member_tag (agency_id, org_id, member_id, tag) SELECT agency_id, org_id, id, 'vip' "
                     "FROM member WHERE org_id = %s AND id %% 7 = 0", (org_id,))
        conn.execute("UPDATE member SET attributes = jsonb_build_object('plan', CASE WHEN id %% 2 = 0 THEN 'gold' "
                     "ELSE 'silver' END) WHERE org_id = %s AND id %% 5 = 0", (org_id,))
        conn.execute("INSERT INTO attribute_def (agency_id, org_id, key, label, kind, choices, position) "
                     "SELECT agency_id, id, 'plan', 'Plan', 'choice', '[\"gold\", \"silver\"]', 0 FROM organisation "
                     "WHERE id = %s", (org_id,))
        conn.commit()


def _psql_floor(dbname: str, sql: str) -> tuple[float, float, int]:
    script = "\\timing on\n" + "\n".join([sql + ";"] * (RUNS + 1))
    out = subprocess.run(["psql", ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname, "-X", "-q", "-At"],
                         input=script, capture_output=True, text=True, check=True).stdout
    times = [float(t) / 1000 for t in re.findall(r"Time: ([0-9.]+) ms", out)][1:]
    return (*_pct(times), int(out.split()[0]))


def run(args, dbname: str) -> None:
    from tenants import scoring
    from tenants.agency import orgs
    from tenants.community import members
    from tenants.core.audit import Actor
    from tenants.core.context import tenant_scope
    from tenants.core.days import day_of
    from tenants.core.db import job_session
    from tenants.segments import service
    agency = bench_agency()
    with tenant_scope(agency.id), job_session() as s:
        org_id = orgs.create(s, "Org", Actor(email="bench")).id
    now = datetime.now(UTC).replace(microsecond=0)
    t0 = time.perf_counter()
    load(dbname, agency.id, [org_id], args.members, args.activities, now - timedelta(days=1))
    _extras(dbname, org_id)
    print(f"{args.members:,} members, {args.activities:,} activities loaded in {time.perf_counter() - t0:.0f} s")
    with tenant_scope(agency.id, org_id), job_session() as s:
        scoring.full(s, org_id)
    vacuum(dbname)
    today = now.date()
    fill = {"org": org_id, **{f"day{n}": day_of(today) - n + 1 for n in (14, 30, 90)},
            "since60": (datetime.combine(today, datetime.min.time(), UTC) - timedelta(days=59)).isoformat()}
    print(f"\n{'rule':<60}{'size':>8}{'count p50/p95':>16}{'floor p50/p95':>16}{'ratio p95':>10}{'page p50/p95':>15}")
    for name, (rule, floor_sql) in RULES.items():
        counts, pages, size = [], [], 0
        for i in range(RUNS + 1):
            with tenant_scope(agency.id, org_id), job_session() as s:
                t0 = time.perf_counter()
                size = service.count(s, service.rule_statement(s, org_id, rule, today))
                t1 = time.perf_counter()
                members.page(s, service.rule_statement(s, org_id, rule, today), "last_active", 50)
                t2 = time.perf_counter()
            if i:
                counts.append(t1 - t0)
                pages.append(t2 - t1)
        c50, c95 = _pct(counts)
        p50, p95 = _pct(pages)
        f50, f95, floor_size = _psql_floor(dbname, floor_sql.format(**fill))
        if floor_size != size:
            raise SystemExit(f"{name}: the engine counts {size}, the hand-written query {floor_size}")
        print(f"{name:<60}{size:>8,}{c50:>8.0f}/{c95:<7.0f}{f50:>8.0f}/{f95:<7.0f}{c95 / f95:>9.2f}×"
              f"{p50:>8.0f}/{p95:<6.0f}")


if __name__ == "__main__":
    main()
