"""The duplicates page on the demo data: `communa seed-demo`'s agency (3,000 members an organisation).

    .venv/bin/python bench/duplicates.py [--db NAME] [--keep]

Creates its own database and loads the demo (or reuses database NAME, migrating it to the newest schema),
logs in as the demo owner and times the duplicates page of one organisation through the Flask app,
in-process: the first request (which also keys members whose name changed) and the next ones.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.ingest import ADMIN_URL, drop_database, setup_database  # noqa: E402
from bench.members import timed  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="an existing database with the demo loaded")
    ap.add_argument("--keep", action="store_true", help="keep the database")
    args = ap.parse_args()
    if args.db:
        dbname = args.db
        app_url = f"postgresql+psycopg://communa_test_app@127.0.0.1:5432/{dbname}"
        owner_url = f"postgresql+psycopg://communa_test_owner@127.0.0.1:5432/{dbname}"
    else:
        dbname, app_url, owner_url = setup_database()
    os.environ.update(DATABASE_URL=app_url, MIGRATIONS_DATABASE_URL=owner_url, SYSTEM_DATABASE_URL=owner_url,
                      SECRET_KEY="bench", PUBLIC_URL="http://127.0.0.1")
    os.environ.pop("REDIS_URL", None)
    from tenants.core.config import Settings
    from tenants.core.migrate import upgrade
    upgrade(Settings.from_env())
    from tenants.demo.seed import DEMO_PASSWORD
    from web import create_app
    app = create_app()
    if not args.db:
        from tenants.demo.seed import seed
        t0 = time.perf_counter()
        seed(3000)
        print(f"demo loaded in {time.perf_counter() - t0:.0f} s (database {dbname})")
        with psycopg.connect(ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname, autocommit=True) as c:
            c.execute("ANALYZE")
    client = app.test_client()
    html = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    client.post("/login", data={"email": "owner@demo.communa.test", "password": DEMO_PASSWORD,
                                "csrf_token": token})
    url = "/demo/nordic-coffee/members/duplicates"
    t0 = time.perf_counter()
    first = client.get(url)
    first_ms = (time.perf_counter() - t0) * 1000
    assert first.status_code == 200, first.status_code
    print(f"first request {first_ms:.0f} ms, {len(first.data):,} bytes")
    med, p95 = timed(lambda: client.get(url), 10)
    print(f"duplicates page: median {med:.0f} ms, p95 {p95:.0f} ms")
    if not args.keep:
        drop_database(dbname)


if __name__ == "__main__":
    main()
