"""Uploaded import files and what their import jobs rejected.

Every import, from the web page or the command line, stores its file here first (`create`), so the job can
run on any worker host. The file is checked on the way in, by a bounded read (a CSV's header and first rows,
the start of a Telegram export): the request's work does not grow with the file; the job reads it all."""
from __future__ import annotations

import os

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from tenants.agency.jobs import CSV_IMPORT
from tenants.agency.models import JobRun
from tenants.community.imports import csvfile, telegram
from tenants.community.imports.csvfile import FileError
from tenants.community.models import ImportError_, Upload
from tenants.community.values import limit, printable

CSV, TELEGRAM = "csv", "telegram"                   # Upload.kind: the file's format
FORMATS = (CSV, TELEGRAM)
NOT_CSV = (".xlsx", ".xls", ".json", ".zip", ".pdf")
PREVIEW_ROWS = 10


def check(fmt: str, filename: str, content: bytes) -> None:
    """Raise FileError unless `content` may be a file of `fmt`: a CSV's header and first rows read, a Telegram
    export's start (a small one whole)."""
    if not content:
        raise FileError("The file is empty.")
    name = filename.lower()
    if fmt == TELEGRAM:
        if not name.endswith(".json"):
            raise FileError("This is not a Telegram JSON export (result.json).")
        telegram.sniff(content)
    elif fmt == CSV:
        if name.endswith(NOT_CSV):
            raise FileError("Upload a .csv file (from Excel: File → Save as → CSV).")
        csvfile.read(content, limit=PREVIEW_ROWS, head=True)
    else:
        raise ValueError(f"unknown upload format {fmt!r}")


def create(session: Session, org_id: int, fmt: str, filename: str, content: bytes,
           created_by: int | None = None) -> Upload:
    """Check the file (FileError) and store it for an import job. Flushes."""
    name = printable(os.path.basename(filename), limit(Upload.filename))
    check(fmt, name, content)
    upload = Upload(org_id=org_id, filename=name, kind=fmt, size=len(content), content=content,
                    created_by_id=created_by)
    session.add(upload)
    session.flush()
    return upload


def csv_by_public_id(session: Session, org_id: int, public_id: str) -> Upload | None:
    """An organisation's CSV upload, waiting for its column mapping (its content is not read: see `head`)."""
    return session.scalar(select(Upload).options(defer(Upload.content))
                          .where(Upload.public_id == public_id, Upload.org_id == org_id, Upload.kind == CSV))


def head(session: Session, upload: Upload) -> bytes:
    """The start of an upload, as much as a page reads (csvfile.read(..., head=True)): one byte more than that
    tells the reader the file goes on."""
    return session.scalar(select(func.substring(Upload.content, 1, csvfile.HEAD_BYTES + 1))
                          .where(Upload.id == upload.id)) or b""


def rejected(session: Session, run: JobRun, limit: int | None = 100) -> list[ImportError_]:
    """The rows an import run rejected, by line."""
    stmt = select(ImportError_).where(ImportError_.job_run_id == run.id).order_by(ImportError_.line)
    return list(session.scalars(stmt.limit(limit) if limit else stmt))


def rejected_csv(session: Session, run: JobRun) -> bytes:
    """Every rejected row of an import run as CSV: line, reason (English), then the row as it was (a CSV
    import's columns under the file's own header; where in the export, for a Telegram import)."""
    rows = session.execute(select(ImportError_.line, ImportError_.reason, ImportError_.raw)
                           .where(ImportError_.job_run_id == run.id).order_by(ImportError_.line)).all()
    if run.kind != CSV_IMPORT:
        return csvfile.rows_to_csv(["where"], [(line, reason, f'"{raw}"') for line, reason, raw in rows])
    upload_id = (run.params or {}).get("upload_id")
    upload = session.get(Upload, upload_id, options=[defer(Upload.content)]) if upload_id else None
    kept = upload is not None and upload.purged_at is None          # a purged upload has no bytes to read
    header = csvfile.read(head(session, upload), limit=1, head=True).header if kept else []
    return csvfile.rows_to_csv(header, [tuple(r) for r in rows])
