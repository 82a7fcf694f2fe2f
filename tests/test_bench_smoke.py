"""The benchmarks run end to end at a small size (smoke tests: figures are printed, never asserted)."""
from __future__ import annotations

import subprocess
import sys

from tenants.core.config import ROOT


def test_scoring_benchmark_runs_small(worker_env):
    env = {k: v for k, v in worker_env.items()
           if k not in ("DATABASE_URL", "MIGRATIONS_DATABASE_URL", "SYSTEM_DATABASE_URL")}
    done = subprocess.run([sys.executable, "bench/scoring.py", "--size", "XS", "--seconds", "2", "--clients", "4",
                           "--web-workers", "2"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    for line in ("floor: GROUP BY of the decayed sum", "full recompute", "incremental after one more day",
                 "dashboard p95"):
        assert line in done.stdout, done.stdout


def test_load_check_runs_and_its_invariants_hold(worker_env):
    """bench/load.py at a small size: concurrent API ingest on two organisations, dashboards read by wrk, a real
    RQ worker scoring; it exits non-zero unless stored = accepted, counters = activity, a full recompute changes
    no score, the queue drained and nothing answered 5xx."""
    env = {k: v for k, v in worker_env.items()
           if k not in ("DATABASE_URL", "MIGRATIONS_DATABASE_URL", "SYSTEM_DATABASE_URL")}
    env["BENCH_REDIS_URL"] = worker_env["REDIS_URL"]       # the test's own Redis db, emptied by the benchmark
    done = subprocess.run([sys.executable, "bench/load.py", "--orgs", "2", "--seconds", "4", "--members", "100",
                           "--seed-activities", "500", "--batch", "20", "--ingest-clients", "2",
                           "--dashboard-clients", "2"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    for line in ("ingest (POST /api/v1/activities)", "dashboard (GET, organisations in turn)",
                 "stored = accepted, counters = activity, full recompute = incremental scores, no 5xx: checked"):
        assert line in done.stdout, done.stdout


def test_portfolio_benchmark_runs_small(worker_env):
    """bench/portfolio.py with a few organisations and days: both timings are printed."""
    env = {k: v for k, v in worker_env.items()
           if k not in ("DATABASE_URL", "MIGRATIONS_DATABASE_URL", "SYSTEM_DATABASE_URL")}
    done = subprocess.run([sys.executable, "bench/portfolio.py", "--orgs", "4", "--days", "40", "--runs", "2"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    for line in ("portfolio rows: 4 organisations", "portfolio (tenants.portfolio.rows, app role) p50/p95",
                 "floor (hand-written SQL, psql) p50/p95"):
        assert line in done.stdout, done.stdout
