"""Import jobs: a CSV of members or activities, a Telegram Desktop export."""
from __future__ import annotations

import csv
import functools
import gc
import io
import threading

from tenants.agency import jobs
from tenants.agency.models import Organisation
from tenants.community.imports import csvfile, member_rows, telegram
from tenants.community.ingest import ingest, resolve, store
from tenants.community.models import ImportError_, Upload
from tenants.community.validate import ItemError
from tenants.core.db import job_session

from ..pipeline import pipelined
from ..registry import job
from ..runner import JobContext

IMPORT_BATCH = 5000


def _upload(session, upload_id: int):
    upload = session.get(Upload, upload_id)          # scoped: another tenant's upload is not found
    if upload is None:
        raise LookupError(f"upload {upload_id} not found")
    return upload


def _raw_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue().rstrip("\r\n")


def _record_errors(ctx: JobContext, errors: list[tuple[int, str, dict, str]]) -> None:
    """Rejected rows: (line, reason template, its params, raw row)."""
    if not errors:
        return
    with job_session() as s:
        s.add_all(ImportError_(job_run_id=ctx.run_id, line=line, reason=((template % params) if params else
                                                                           template)[:500],
                               reason_template=template[:300], reason_params=params, raw=raw)
                  for line, template, params, raw in errors)


# Writer connections per import: ingest is safe for concurrent batches, and two keep the database busy while
# the next batch is parsed (bench/ingest.py).
WRITERS = 2


def _parsed_upload_kept(fn):
    """For an import job that calls gc.freeze() once its upload is parsed. The parsed file (hundreds of
    thousands of small objects) lives until the job ends; frozen, the collector stops walking all of it again
    and again while the batches allocate (1–2 s of a 13 s, 200,000-row import, bench/ingest.py)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            gc.unfreeze()
    return run


@job(jobs.CSV_IMPORT)
@_parsed_upload_kept
def csv_import(ctx: JobContext, upload_id: int, kind: str, mapping: list[str], mode: str = "skip",
               default_channel: str = "", tz: str = "UTC") -> dict:
    """Members or activities from a CSV upload. mode: "skip" (bad rows are reported, the rest imported,
    committed batch by batch, so a killed job converges when run again) or "all" (all or nothing: every row
    is checked first, and any bad row means nothing is written; the writing is one transaction)."""
    with job_session() as s:
        upload = _upload(s, upload_id)
        sheet = csvfile.read(upload.content)
        filename, org_id = upload.filename, upload.org_id
        defs = member_rows.definitions(s, org_id)
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
                item = member_rows.validate(defs, csvfile.member_row(cells, mapping, default_channel))
                key = item.identity.key
            else:
                item = csvfile.activity_row(cells, mapping, default_channel, tz)
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
            counts = member_rows.upsert(session, org_id, batch)
            added = {"imported": counts.imported, "updated": counts.updated, "duplicates": counts.unchanged}
        else:
            if mode == "skip":      # new members committed first (see ingest.resolve)
                resolved = resolve(session, org_id, batch, serialise=True)
                session.commit()
                r = store(session, org_id, batch, resolved)
            else:
                r = ingest(session, org_id, batch)
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
    else:
        def consume(batch) -> None:
            with job_session() as session:  # committed per batch: a re-run skips what is already in
                write(session, batch)
        # Activities are written by two connections at once; members by one (two batches could each create a
        # member for the same new email).
        pipelined(batches, consume, writers=WRITERS if kind == "activities" else 1)
        result["rejected"] = len(errors)
        result["duplicates"] += in_file[0]
    _record_errors(ctx, errors)
    return result


@job(jobs.TELEGRAM_IMPORT)
@_parsed_upload_kept
def telegram_import(ctx: JobContext, upload_id: int) -> dict:
    """A Telegram Desktop chat export: members, messages, replies, reactions, joins."""
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
            resolved = resolve(s, org_id, batch, serialise=True)
            s.commit()              # new members first (see ingest.resolve)
            r = store(s, org_id, batch, resolved)
        with tally:
            result["imported"] += r.accepted
            result["duplicates"] += r.duplicates
            result["members_created"] += r.members_created
            seen += len(batch)
            ctx.progress(min(99, int(100 * seen / max(total, 1))), f"{seen} / {total}")

    pipelined(batches, consume, writers=WRITERS)
    result["rejected"] = len(errors)
    _record_errors(ctx, errors)
    return result

