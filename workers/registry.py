"""Job kinds by name. A job function takes a JobContext and the JobRun's params as keywords."""
from __future__ import annotations

import importlib
import os
from collections.abc import Callable

JOBS: dict[str, Callable] = {}


def job(kind: str) -> Callable[[Callable], Callable]:
    def register(fn: Callable) -> Callable:
        JOBS[kind] = fn
        return fn
    return register


def load() -> None:
    """Import the modules that register jobs. COMMUNA_JOB_MODULES adds more (tests use it)."""
    if JOBS and not os.environ.get("COMMUNA_JOB_MODULES"):
        return
    for area in ("agency", "imports", "scoring", "segments", "leaders", "events", "digest", "reports"):
        importlib.import_module(f"workers.jobs.{area}")
    for name in filter(None, (os.environ.get("COMMUNA_JOB_MODULES") or "").split(",")):
        importlib.import_module(name.strip())
