"""Job entry points. Each runs inside its tenant's scope (set by workers.runner)."""
from __future__ import annotations

import gc
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from tenants import audit
from tenants import jobs as job_service
from tenants.db import job_session
from tenants.models import JobFile, JobRun

from .registry import job
from .runner import JobContext


@job("audit_export")
def audit_export(ctx: JobContext, action: str | None = None) -> dict:
    """The agency's audit log as a CSV file attached to the job run."""
    with job_session() as s:
        content = audit.export_csv(s, action or None, ctx.progress)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        name = f"audit-log-{ctx.agency_id}-{stamp}.csv"
        job_service.attach_file(s, ctx.run_id, name, "text/csv; charset=utf-8", content)
        rows = content.count(b"\n") - 1
    return {"rows": rows, "filename": name}


@job("agency_cleanup")
def agency_cleanup(ctx: JobContext, keep_days: int = 14) -> dict:
    """Nightly, per agency: drop files of old finished jobs so exports do not pile up."""
    cutoff = datetime.now(UTC) - timedelta(days=keep_days)
    with job_session() as s:
        old_runs = select(JobRun.id).where(JobRun.finished_at < cutoff)
        removed = s.execute(delete(JobFile).where(JobFile.job_run_id.in_(old_runs))).rowcount or 0
        # One incremental scoring run per ingest batch: their records are only worth keeping briefly.
        runs = s.execute(delete(JobRun).where(JobRun.kind == "score_incremental", JobRun.status == "done",
                                              JobRun.finished_at < datetime.now(UTC) - timedelta(days=2))).rowcount
    return {"files_removed": removed, "scoring_runs_removed": runs or 0}


# --- imports ---------------------------------------------------------------------------------------

IMPORT_BATCH = 5000


def _upload(session, upload_id: int):
    from tenants.models import Upload
    upload = session.get(Upload, upload_id)          # scoped: another tenant's upload is not found
    if upload is None:
        raise LookupError(f"upload {upload_id} not found")
    return upload


def _raw_line(cells: list[str]) -> str:
    import csv as _csv
    import io as _io
    out = _io.StringIO()
    _csv.writer(out).writerow(cells)
    return out.getvalue().rstrip("\r\n")


def _record_errors(ctx: JobContext, errors: list[tuple[int, str, dict, str]]) -> None:
    """Rejected rows: (line, reason template, its params, raw row)."""
    from tenants.models import ImportError_
    if not errors:
        return
    with job_session() as s:
        s.add_all(ImportError_(job_run_id=ctx.run_id, line=line, reason=((template % params) if params else
                                                                           template)[:500],
                               reason_template=template[:300], reason_params=params, raw=raw)
                  for line, template, params, raw in errors)


def _pipelined(produce, consume, depth: int = 2, writers: int = 1) -> None:
    """Run `produce` (a generator of batches) on a thread while `writers` threads (this one included) each take
    a batch and `consume` it: parsing overlaps writing, and with two writers the database works on two batches
    at once (ingest is safe for concurrent batches: the API runs them side by side too). `consume` must guard
    its own shared state. An exception anywhere stops everything and is raised here."""
    import contextvars
    import queue
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    failure: list[BaseException] = []
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for batch in produce():
                if not put(batch):
                    return
        except BaseException as exc:  # handed to the writers' side
            failure.append(exc)
            stop.set()
        finally:
            put(done)

    def write() -> None:
        try:
            while not stop.is_set():
                try:
                    batch = q.get(timeout=0.2)
                except queue.Empty:
                    continue
                if batch is done:
                    put(done)       # for the next writer
                    return
                consume(batch)
        except BaseException as exc:
            failure.append(exc)
            stop.set()

    producer = threading.Thread(target=run, name="import-producer", daemon=True)
    producer.start()
    # Extra writers run in a copy of this context: the tenant scope is a context variable.
    extra = [threading.Thread(target=contextvars.copy_context().run, args=(write,), name=f"import-writer-{i}",
                              daemon=True) for i in range(1, writers)]
    for t in extra:
        t.start()
    write()
    for t in extra:
        t.join()
    stop.set()
    producer.join()
    if failure:
        raise failure[0]


def _writers() -> int:
    """Two connections on PostgreSQL; one on SQLite (the embedded demo), which has one writer at a time and
    fails a second deferred transaction that tries to write rather than wait for it."""
    from tenants.db import get_engine
    return 2 if get_engine().dialect.name == "postgresql" else 1


def _parsed_upload_kept(fn):
    """For an import job that calls gc.freeze() once its upload is parsed. The parsed file (hundreds of
    thousands of small objects) lives until the job ends; frozen, the collector stops walking all of it again
    and again while the batches allocate (1–2 s of a 13 s, 200,000-row import, bench/ingest.py)."""
    import functools

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            gc.unfreeze()
    return run


@job("csv_import")
@_parsed_upload_kept
def csv_import(ctx: JobContext, upload_id: int, kind: str, mapping: list[str], mode: str = "skip",
               default_channel: str = "", tz: str = "UTC") -> dict:
    """Members or activities from a CSV upload. mode: "skip" (bad rows are reported, the rest imported,
    committed batch by batch, so a killed job converges when run again) or "all" (all or nothing: every row
    is checked first, and any bad row means nothing is written; the writing is one transaction)."""
    from tenants import csvimport, member_import
    from tenants.ingest import ItemError, ingest
    with job_session() as s:
        upload = _upload(s, upload_id)
        sheet = csvimport.read(upload.content)
        filename, org_id = upload.filename, upload.org_id
        defs = member_import.definitions(s, org_id)
    gc.freeze()
    total = len(sheet.rows)
    errors: list[tuple[int, str, dict, str]] = []
    seen: set = set()
    in_file = [0]    # duplicates inside the file: counted by the parsing thread only, added at the end
    result = {"kind": kind, "filename": filename, "rows": total, "imported": 0, "updated": 0,
              "duplicates": 0, "rejected": 0, "mode": mode, "aborted": False}

    def parse(line: int, cells: list[str]):
        try:
            if kind == "members":
                item = member_import.validate(defs, csvimport.member_row(cells, mapping, default_channel))
                key = item.identity.key
            else:
                item = csvimport.activity_row(cells, mapping, default_channel, tz)
                key = item.source_id
        except ItemError as exc:
            errors.append((line, exc.template, exc.params, _raw_line(cells)))
            return None
        if key in seen:                     # the same member or activity twice in one file
            in_file[0] += 1
            return None
        seen.add(key)
        return item

    def batches():
        batch = []
        for line, cells in sheet.rows:
            item = parse(line, cells)
            if item is not None:
                batch.append(item)
            if len(batch) >= IMPORT_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    written = 0
    tally = threading.Lock()        # two writers may finish a batch at the same moment

    def write(session, batch) -> None:
        nonlocal written
        if kind == "members":
            counts = member_import.upsert(session, org_id, batch)
            added = {"imported": counts.imported, "updated": counts.updated, "duplicates": counts.unchanged}
        else:
            r = ingest(session, org_id, batch, members_first=mode == "skip")
            added = {"imported": r.accepted, "duplicates": r.duplicates}
        with tally:
            for key, n in added.items():
                result[key] += n
            written += len(batch)
            ctx.progress(min(99, int(100 * written / max(total, 1))), f"{written} / {total}")

    if mode == "all":
        items = [item for b in batches() for item in b]
        result["rejected"] = len(errors)
        result["duplicates"] += in_file[0]
        if errors:
            _record_errors(ctx, errors)
            result["aborted"] = True
            return result
        with job_session() as session:     # one transaction: killed halfway, nothing is kept
            for start in range(0, len(items), IMPORT_BATCH):
                write(session, items[start:start + IMPORT_BATCH])
        _rescore(org_id)
    else:
        def consume(batch) -> None:
            with job_session() as session:  # committed per batch: a re-run skips what is already in
                write(session, batch)
            _rescore(org_id)
        # Activities are written by two connections at once; members by one (two batches could each create a
        # member for the same new email).
        _pipelined(batches, consume, writers=_writers() if kind == "activities" else 1)
        result["rejected"] = len(errors)
        result["duplicates"] += in_file[0]
    _record_errors(ctx, errors)
    return result


@job("telegram_import")
@_parsed_upload_kept
def telegram_import(ctx: JobContext, upload_id: int) -> dict:
    """A Telegram Desktop chat export: members, messages, replies, reactions, joins."""
    from tenants import telegram
    from tenants.ingest import ingest
    from tenants.models import Organisation
    with job_session() as s:
        upload = _upload(s, upload_id)
        chats = telegram.load(upload.content)
        filename, org_id = upload.filename, upload.org_id
        keep_text = bool(s.get(Organisation, org_id).store_message_text)
    gc.freeze()
    total = telegram.count_messages(chats)
    result = {"kind": "telegram", "filename": filename, "chats": len(chats), "messages": total, "imported": 0,
              "duplicates": 0, "rejected": 0, "members_created": 0}
    errors: list[tuple[int, str, dict, str]] = []
    seen = 0

    def batches():
        nonlocal seen
        batch = []
        for chat in chats:
            for found in telegram.activities(chat, keep_text):
                if isinstance(found, telegram.Problem):
                    errors.append((len(errors) + 1, found.reason, {}, found.where))
                    continue
                batch.append(found)
                if len(batch) >= IMPORT_BATCH:
                    yield batch
                    batch = []
        if batch:
            yield batch

    tally = threading.Lock()

    def consume(batch) -> None:
        nonlocal seen
        with job_session() as s:
            r = ingest(s, org_id, batch, members_first=True)
        _rescore(org_id)
        with tally:
            result["imported"] += r.accepted
            result["duplicates"] += r.duplicates
            result["members_created"] += r.members_created
            seen += len(batch)
            ctx.progress(min(99, int(100 * seen / max(total, 1))), f"{seen} / {total}")

    _pipelined(batches, consume, writers=_writers())
    result["rejected"] = len(errors)
    _record_errors(ctx, errors)
    return result


# --- scoring ---------------------------------------------------------------------------------------

def _rescore(org_id: int) -> None:
    """After an import batch commits: the incremental scoring job (at most one waits in the queue)."""
    from .scoring import request_incremental
    with job_session() as s:
        request_incremental(s, org_id)


@job("score_incremental")
def score_incremental(ctx: JobContext) -> dict:
    """Apply the member days ingest queued, chunk by chunk; each chunk commits, so a killed run loses
    nothing and a second run finds only what is left."""
    from tenants import scoring
    total = scoring.RunResult()
    while True:
        with job_session() as s:
            r = scoring.incremental(s, ctx.org_id)
        total.members += r.members
        total.member_days += r.member_days
        total.stage_changes += r.stage_changes
        total.version = r.version
        if not r.more:
            break
    return total.as_dict()


@job("score_full")
def score_full(ctx: JobContext) -> dict:
    """Rebuild rollups and scores from the activity table in one transaction (killed: nothing changes)."""
    from tenants import metrics, scoring
    ctx.progress(5, "rollups")
    with job_session() as s:
        r = scoring.full(s, ctx.org_id, progress=ctx.progress)
        ctx.progress(85, "metrics")
        metrics.rollup(s, ctx.org_id)
    return r.as_dict()


@job("score_daily")
def score_daily(ctx: JobContext) -> dict:
    """Nightly: stages follow decaying scores, at-risk flags, influence, then the day's metrics."""
    from tenants import metrics, scoring
    with job_session() as s:
        r = scoring.daily(s, ctx.org_id)
        metrics.rollup(s, ctx.org_id)
    return r.as_dict()
