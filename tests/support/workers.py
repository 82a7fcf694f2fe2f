"""A real `communa worker --burst` process draining the queue."""
from __future__ import annotations

import subprocess
import sys


def work_burst(worker_env) -> subprocess.CompletedProcess:
    """Drain the queue with a real `communa worker --burst` process."""
    return subprocess.run([sys.executable, "-m", "web.cli", "worker", "--burst"], env=worker_env,
                          capture_output=True, text=True, timeout=120)
