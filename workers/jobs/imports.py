"""Import jobs: a CSV of members or activities, a guest list of one event, a Telegram Desktop export."""
from __future__ import annotations

import csv
import functools
import gc
import io
import threading
from collections.abc import Callable, Iterator

from tenants.agency import jobs
from tenants.agency.models import Organisation
from tenants.community.imports import csvfile, member_rows, telegram
from tenants.community.ingest import ingest, resolve, store
from tenants.community.models import ImportError_, Upload
from tenants.community.validate import ItemError
from tenants.community.values import limit, printable
from tenants.core.db import job_session
from tenants.events import batches, guests
from tenants.events.models import Event

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


# A rejected row is kept as it was (for its page and rejected.csv), up to this many characters.
MAX_RAW = 10_000
Rejected = tuple[int, str, dict, str]       # line, reason template, its params, the row as it was


def _record_errors(ctx: JobContext, errors: list[Rejected]) -> None:
    """Rejected rows, stored whatever they hold (a NUL or a lone surrogate is what got them rejected)."""
    if not errors:
        return
    reason_len, template_len = limit(ImportError_.reason), limit(ImportError_.reason_template)
    with job_session() as s:
        s.add_all(ImportError_(job_run_id=ctx.run_id, line=line,
                               reason=printable((template % params) if params else template, reason_len),
                               reason_template=template[:template_len],
                               reason_params={k: printable(str(v), 500) for k, v in params.items()},
                               raw=printable(raw, MAX_RAW))
                  for line, template, params, raw in errors)


# Writer connections per import: ingest is safe for concurrent batches, and two keep the database busy
# (bench/ingest.py).
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


def _batches(items: list) -> Callable[[], Iterator[list]]:
    return lambda: (items[i:i + IMPORT_BATCH] for i in range(0, len(items), IMPORT_BATCH))


@job(jobs.CSV_IMPORT)
@_parsed_upload_kept
def csv_import(ctx: JobContext, upload_id: int, kind: str, mapping: list[str], mode: str = "skip",
               default_channel: str = "", tz: str = "UTC", event_id: int | None = None) -> dict:
    """Members, activities or an event's guest list from a CSV upload. Every row is checked before anything is
    written. mode: "skip" (bad rows are reported, the rest imported, committed batch by batch, so a killed job
    converges when run again) or "all" (all or nothing: any bad row means nothing is written; the writing is one
    transaction)."""
    mapping = [m if isinstance(m, str) else "" for m in mapping]     # as given to the command line, too
    if kind == guests.KIND:
        return _guest_list(ctx, upload_id, mapping, mode, event_id)
    with job_session() as s:
        upload = _upload(s, upload_id)
        sheet = csvfile.read(upload.content)
        filename, org_id = upload.filename, upload.org_id
        defs = member_rows.definitions(s, org_id)
    gc.freeze()
    total = len(sheet.rows)
    result = {"kind": kind, "filename": filename, "rows": total, "imported": 0, "updated": 0,
              "duplicates": 0, "rejected": 0, "mode": mode, "aborted": False}
    if kind == "members":
        items, errors, repeated = _checked(sheet, lambda c: member_rows.parse(c, mapping, default_channel, defs),
                                           lambda row: row.identity.key)
    else:
        items, errors, repeated = _checked(sheet, lambda c: csvfile.activity_row(c, mapping, default_channel, tz),
                                           lambda item: item.source_id)
    result["rejected"], result["duplicates"] = len(errors), repeated
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
        if errors:
            result["aborted"] = True
        else:
            with job_session() as session:     # one transaction: killed halfway, nothing is kept
                for batch in _batches(items)():
                    write(session, batch)
    else:
        def consume(batch) -> None:
            with job_session() as session:  # committed per batch: a re-run skips what is already in
                write(session, batch)
        # Activities are written by two connections at once; members by one (two batches could each create a
        # member for the same new email).
        pipelined(_batches(items), consume, writers=WRITERS if kind == "activities" else 1)
    _record_errors(ctx, errors)
    return result


def _checked(sheet: csvfile.Sheet, parse: Callable, key: Callable, lines: bool = False
             ) -> tuple[list, list[Rejected], int]:
    """Every row of the file checked: the good items (each member or activity once; with `lines`, each with its
    line), the rejected rows, and how many rows repeated one before them. A key of None is never a repeat."""
    items, errors, seen, repeated = [], [], set(), 0
    for line, cells in sheet.rows:
        try:
            item = parse(cells)
        except ItemError as exc:
            errors.append((line, exc.template, exc.params, _raw_line(cells)))
            continue
        found = key(item)
        if found is not None and found in seen:     # the same member or activity twice in one file
            repeated += 1
            continue
        seen.add(found)
        items.append((line, item) if lines else item)
    return items, errors, repeated


def _guest_list(ctx: JobContext, upload_id: int, mapping: list[str], mode: str, event_id: int | None) -> dict:
    """An event's guest list: each guest registered (source "import") with the file's status, in the order they
    registered, and checked in when the file says they came. A guest already registered changes nothing, so the
    same file imported again changes nothing."""
    with job_session() as s:
        upload, event = _upload(s, upload_id), s.get(Event, event_id or 0)     # scoped: another tenant's is None
        if event is None or event.org_id != upload.org_id:
            raise LookupError(f"event {event_id} not found")
        sheet, filename = csvfile.read(upload.content), upload.filename
        tz, starts_at, title = event.timezone, event.starts_at, event.title
    rows, errors, repeated = _checked(sheet, lambda c: guests.parse(c, mapping, sheet.header, tz, starts_at),
                                      lambda item: item.member.key if item else None, lines=True)
    skipped = sum(1 for _line, item in rows if item is None)
    items = sorted(((line, item) for line, item in rows if item is not None),
                   key=lambda row: (row[1].at or starts_at, row[0]))       # as they registered: capacity decides
    result = {"kind": guests.KIND, "filename": filename, "event": title, "rows": len(sheet.rows), "imported": 0,
              "checked_in": 0, "duplicates": repeated, "rejected": len(errors), "skipped": skipped, "mode": mode,
              "aborted": mode == "all" and bool(errors)}
    failed: list[Rejected] = []
    raw, written = dict(sheet.rows), 0

    def write(session, batch) -> None:
        nonlocal written
        done = batches.register_all(session, session.get(Event, event_id), batch, "import")
        result["imported"] += done.accepted
        result["checked_in"] += done.checked_in
        result["duplicates"] += done.duplicates
        failed.extend((line, exc.template, exc.params, _raw_line(raw[line])) for line, exc in done.errors)
        written += len(batch)
        ctx.progress(min(99, int(100 * written / max(len(items), 1))), f"{written} / {len(items)}")

    if not result["aborted"]:
        if mode == "all":
            with job_session() as session:      # one transaction: killed halfway, nothing is kept
                for batch in _batches(items)():
                    write(session, batch)
        else:
            for batch in _batches(items)():
                with job_session() as session:  # committed per batch: a re-run skips what is already in
                    write(session, batch)
    result["rejected"] += len(failed)
    _record_errors(ctx, sorted(errors + failed))
    return result


@job(jobs.TELEGRAM_IMPORT)
@_parsed_upload_kept
def telegram_import(ctx: JobContext, upload_id: int) -> dict:
    """A Telegram Desktop chat export: members, messages, replies, reactions, joins. Every message is checked
    before anything is written; one that cannot be stored is rejected with its reason, the rest imported."""
    with job_session() as s:
        upload = _upload(s, upload_id)
        chats = telegram.load(upload.content)
        filename, org_id = upload.filename, upload.org_id
        keep_text = bool(s.get(Organisation, org_id).store_message_text)
    gc.freeze()
    total = telegram.count_messages(chats)
    result = {"kind": "telegram", "filename": filename, "chats": len(chats), "messages": total, "imported": 0,
              "duplicates": 0, "rejected": 0, "members_created": 0}
    items, errors = [], []
    for chat in chats:
        for found in telegram.activities(chat, keep_text):
            if isinstance(found, telegram.Problem):
                errors.append((len(errors) + 1, found.error.template, found.error.params, found.where))
            else:
                items.append(found)
    done = 0
    tally = threading.Lock()

    def consume(batch) -> None:
        nonlocal done
        with job_session() as s:
            resolved = resolve(s, org_id, batch, serialise=True)
            s.commit()              # new members first (see ingest.resolve)
            r = store(s, org_id, batch, resolved)
        with tally:
            result["imported"] += r.accepted
            result["duplicates"] += r.duplicates
            result["members_created"] += r.members_created
            done += len(batch)
            ctx.progress(min(99, int(100 * done / max(len(items), 1))), f"{done} / {len(items)}")

    pipelined(_batches(items), consume, writers=WRITERS)
    result["rejected"] = len(errors)
    _record_errors(ctx, errors)
    return result
