from __future__ import annotations

import io
import os
import re
import subprocess
import sys

from sqlalchemy import select

from tenants.agency.models import JobRun
from tenants.core.db import system_scope
from tests.support.http import csrf_of


def upload(client, path: str, name: str, content: bytes, kind: str):
    token = csrf_of(client, path)
    return client.post(f"{path}upload", data={"csrf_token": token, "kind": kind,
                                              "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def start(client, mapping_url: str, **form):
    page = client.get(mapping_url)
    token = csrf_of(client, mapping_url)
    selects = dict(re.findall(r'name="(map_\d+)".*?<option value="([^"]*)" selected', page.text, re.S))
    action = re.search(r'action="([^"]+/start)"', page.text).group(1)
    kind = re.search(r'name="kind" value="([^"]+)"', page.text).group(1)
    data = {"csrf_token": token, "kind": kind, **selects, **form}
    return client.post(action, data=data), page


def work(env) -> None:
    proc = subprocess.run([sys.executable, "-m", "web.cli", "worker", "--burst"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def last_run() -> JobRun:
    with system_scope() as s:
        run = s.scalars(select(JobRun).where(JobRun.kind.like("%_import")).order_by(JobRun.id.desc())).first()
        s.expunge(run)
        return run


def descendants(pid: int) -> list[int]:
    """Child processes by parent pid, from /proc (RQ's work horse runs in its own process group)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found
