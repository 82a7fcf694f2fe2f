from __future__ import annotations

import io
import os
import re
import subprocess
import sys

from sqlalchemy import func, select, text

from tenants.agency.jobs import SCORE_FULL, SCORE_INCREMENTAL
from tenants.agency.models import JobRun, Organisation
from tenants.community.models import ScorePending
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support.http import csrf_of


def upload(client, path: str, name: str, content: bytes, kind: str):
    token = csrf_of(client, path)
    return client.post(f"{path}upload", data={"csrf_token": token, "kind": kind,
                                              "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def start(client, mapping_url: str, **form):
    page = client.get(mapping_url)
    token = csrf_of(client, mapping_url)
    selects = {name: (m.group(1) if (m := re.search(r'<option value="([^"]*)" selected', options)) else "")
               for name, options in re.findall(r'<select name="(map_\d+)"(.*?)</select>', page.text, re.S)}
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


def scoring_succeeds(worker_env) -> None:
    """The organisation's incremental scoring and a full recompute, run by a real worker, both finish and leave
    nothing queued: what the import stored cannot stop its scoring."""
    with system_scope() as s:
        org = s.scalars(select(Organisation)).one()
        agency_id, org_id = org.agency_id, org.id
    from workers.scoring import request_full, request_incremental
    with tenant_scope(agency_id, org_id), job_session() as s:
        request_incremental(s, org_id)
        request_full(s, org_id)
        s.commit()
    work(worker_env)
    with system_scope() as s:
        runs = s.execute(select(JobRun.kind, JobRun.status, JobRun.error)
                         .where(JobRun.kind.in_([SCORE_INCREMENTAL, SCORE_FULL]))).all()
        assert {kind for kind, _status, _error in runs} == {SCORE_INCREMENTAL, SCORE_FULL}
        assert all(status == "done" for _kind, status, _error in runs), runs
        assert s.scalar(select(func.count()).select_from(ScorePending)) == 0


# What an import may write besides the community's data: its own run, rejected rows, upload and audit entry.
IMPORT_OWN = {"job_run", "import_error", "upload", "audit_log"}


def snapshot(owner_engine) -> dict[str, str]:
    """Every other table's whole content, as a digest per table (read as the owner: no row is hidden)."""
    from tenants.schema import metadata
    with owner_engine.connect() as conn:
        return {t.name: conn.execute(text(f'SELECT md5(coalesce(string_agg(x::text, \',\' ORDER BY x::text), \'\')) '
                                          f'FROM "{t.name}" x')).scalar_one()
                for t in metadata.sorted_tables if t.name not in IMPORT_OWN}
