"""The scoring benchmark at size S runs end to end (a smoke test: figures are printed, never asserted)."""
from __future__ import annotations

import subprocess
import sys

from tenants.core.config import ROOT


def test_scoring_benchmark_size_s_runs(worker_env):
    env = {k: v for k, v in worker_env.items()
           if k not in ("DATABASE_URL", "MIGRATIONS_DATABASE_URL", "SYSTEM_DATABASE_URL")}
    done = subprocess.run([sys.executable, "bench/scoring.py", "--size", "S", "--seconds", "2", "--clients", "4",
                           "--web-workers", "2"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    for line in ("floor: GROUP BY of the decayed sum", "full recompute", "incremental after one more day",
                 "dashboard p95"):
        assert line in done.stdout, done.stdout
