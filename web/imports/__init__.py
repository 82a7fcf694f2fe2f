"""Imports into an organisation: CSV (members or activities) with a column mapping, and Telegram exports.

upload → (CSV: preview and mapping) → RQ job with a live progress bar → result with every rejected row."""
from __future__ import annotations

import os

from flask import Blueprint, Response, abort, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tenants.agency import jobs
from tenants.agency.models import JobRun, Organisation
from tenants.community import profile
from tenants.community.imports import csvfile, telegram
from tenants.community.imports.csvfile import FileError
from tenants.community.models import CHANNELS, ImportError_, Upload
from tenants.core import audit
from tenants.core.db import db

from ..htmx import page
from ..tenancy import actor, org_view

bp = Blueprint("imports", __name__, url_prefix="/<agency_slug>/<org_slug>/imports")
KINDS = ("members", "activities", "telegram")
MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES") or 50 * 1024 * 1024)
PREVIEW = 10


def _recent() -> list[JobRun]:
    stmt = (select(JobRun).where(JobRun.org_id == g.org.id, JobRun.kind.in_(("csv_import", "telegram_import")))
            .order_by(JobRun.created_at.desc()).limit(10))
    return list(db.scalars(stmt))


def _index(error: str | None = None, status: int = 200):
    return page("imports/index.html", "content", status=status, error=error, recent=_recent(),
                max_mb=MAX_BYTES // (1024 * 1024))


@bp.route("/")
@org_view(write=True)
def index():
    return _index()


@bp.route("/settings", methods=["POST"])
@org_view(write=True)
def settings():
    org = db.get(Organisation, g.org.id)
    org.store_message_text = request.form.get("store_message_text") == "on"
    db.commit()
    return redirect(url_for("imports.index", agency_slug=g.agency.slug, org_slug=g.org.slug))


@bp.route("/upload", methods=["POST"])
@org_view(write=True)
def upload():
    kind = request.form.get("kind")
    f = request.files.get("file")
    if kind not in KINDS:
        return _index(_("Choose what the file contains."), 422)
    if f is None or not f.filename:
        return _index(_("Choose a file to upload."), 422)
    content = f.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        return _index(_("The file is larger than %(mb)s MB. Split it, or use the command line import.",
                        mb=MAX_BYTES // (1024 * 1024)), 413)
    if not content:
        return _index(_("The file is empty."), 422)
    name = os.path.basename(f.filename)[:255]
    try:
        if kind == "telegram":
            if not name.lower().endswith(".json"):
                raise FileError("This is not a Telegram JSON export (result.json).")
            telegram.load(content)
        else:
            if name.lower().endswith((".xlsx", ".xls", ".json", ".zip", ".pdf")):
                raise FileError("Upload a .csv file (from Excel: File → Save as → CSV).")
            csvfile.read(content, limit=PREVIEW)
    except FileError as exc:
        return _index(_(str(exc), line="?"), 422)
    up = Upload(org_id=g.org.id, filename=name, kind="telegram" if kind == "telegram" else "csv",
                size=len(content), content=content, created_by_id=current_user.id)
    db.add(up)
    db.flush()
    if kind == "telegram":
        run = _start(up, "telegram_import", {"upload_id": up.id})
        return redirect(url_for("imports.show", agency_slug=g.agency.slug, org_slug=g.org.slug, job_id=run.public_id))
    db.commit()
    return redirect(url_for("imports.mapping", agency_slug=g.agency.slug, org_slug=g.org.slug,
                            upload_id=up.public_id, kind=kind))


def _start(up: Upload, kind: str, params: dict) -> JobRun:
    from workers import enqueue
    audit.record(db, "import_started", actor(), target=up.filename, kind=kind)
    return enqueue(db, kind, org_id=g.org.id, params=params, created_by=current_user.id)


def _upload(upload_id: str) -> Upload:
    up = db.scalar(select(Upload).where(Upload.public_id == upload_id, Upload.org_id == g.org.id))
    if up is None or up.kind != "csv":
        abort(404)
    return up


def _mapping_context(up: Upload, kind: str, error: str | None = None) -> dict:
    sheet = csvfile.read(up.content, limit=PREVIEW)
    defs = profile.attribute_defs(db, g.org.id)
    guessed = csvfile.guess_mapping(sheet.header, kind, {d.label.lower(): d.key for d in defs}
                                      | {d.key: d.key for d in defs})
    chosen = [request.form.get(f"map_{i}", guessed[i]) for i in range(len(sheet.header))] \
        if request.method == "POST" else guessed
    fields = csvfile.MEMBER_FIELDS if kind == "members" else csvfile.ACTIVITY_FIELDS
    return {"up": up, "kind": kind, "sheet": sheet, "mapping": chosen, "fields": fields, "defs": defs,
            "channels": CHANNELS, "timezones": csvfile.TIMEZONES, "error": error,
            "mode": request.form.get("mode", "skip"), "default_channel": request.form.get("default_channel", ""),
            "tz": request.form.get("tz", "Europe/Moscow")}


@bp.route("/uploads/<upload_id>")
@org_view(write=True)
def mapping(upload_id: str):
    kind = request.args.get("kind") if request.args.get("kind") in ("members", "activities") else "members"
    return page("imports/mapping.html", "content", **_mapping_context(_upload(upload_id), kind))


@bp.route("/uploads/<upload_id>/start", methods=["POST"])
@org_view(write=True)
def start(upload_id: str):
    up = _upload(upload_id)
    kind = request.form.get("kind") if request.form.get("kind") in ("members", "activities") else "members"
    ctx = _mapping_context(up, kind)
    chosen = [m if (m in ctx["fields"] or m.startswith("attr:")) else "" for m in ctx["mapping"]]
    error = None
    if "external_id" not in chosen and "email" not in chosen:
        error = _("Map one column to External id or to Email, so each row names a member.")
    elif "external_id" in chosen and "channel" not in chosen and request.form.get("default_channel") not in CHANNELS:
        error = _("Choose the channel the ids belong to, or map a Channel column.")
    elif kind == "activities" and not {"type", "occurred_at"} <= set(chosen):
        error = _("Map the Type and Date columns.")
    elif len([c for c in chosen if c]) != len({c for c in chosen if c}):
        error = _("Each field can be mapped to one column only.")
    if error:
        return page("imports/mapping.html", "content", status=422, **{**ctx, "error": error})
    mode = "all" if request.form.get("mode") == "all" else "skip"
    tz = request.form.get("tz") if request.form.get("tz") in csvfile.TIMEZONES else "UTC"
    run = _start(up, "csv_import", {"upload_id": up.id, "kind": kind, "mapping": chosen, "mode": mode,
                                    "default_channel": request.form.get("default_channel", ""), "tz": tz})
    return redirect(url_for("imports.show", agency_slug=g.agency.slug, org_slug=g.org.slug, job_id=run.public_id))


def _run(job_id: str) -> JobRun:
    run = jobs.by_public_id(db, job_id)
    if run is None or run.org_id != g.org.id or run.kind not in ("csv_import", "telegram_import"):
        abort(404)
    return run


@bp.route("/jobs/<job_id>")
@org_view(write=True)
def show(job_id: str):
    run = _run(job_id)
    rejected = list(db.scalars(select(ImportError_).where(ImportError_.job_run_id == run.id)
                               .order_by(ImportError_.line).limit(100))) if run.finished else []
    return page("imports/show.html", "progress", run=run, rejected=rejected)


@bp.route("/jobs/<job_id>/rejected.csv")
@org_view(write=True)
def rejected(job_id: str):
    run = _run(job_id)
    rows = db.execute(select(ImportError_.line, ImportError_.reason, ImportError_.raw)
                      .where(ImportError_.job_run_id == run.id).order_by(ImportError_.line)).all()
    header = []
    if run.kind == "csv_import":
        up = db.scalar(select(Upload).where(Upload.id == (run.params or {}).get("upload_id")))
        header = csvfile.read(up.content, limit=1).header if up else []
        body = csvfile.rows_to_csv(header, [tuple(r) for r in rows])
    else:
        body = csvfile.rows_to_csv(["where"], [(line, reason, f'"{raw}"') for line, reason, raw in rows])
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="rejected-{run.public_id}.csv"'})
