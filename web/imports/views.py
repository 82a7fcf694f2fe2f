"""The import pages: upload, column mapping, progress and result, rejected rows as CSV. A guest list is imported
into the event picked on upload (its columns recognised as Luma and Eventbrite name them)."""
from __future__ import annotations

import os

from flask import Response, abort, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tenants.agency import jobs, orgs
from tenants.agency.jobs import CSV_IMPORT, IMPORT_KINDS, TELEGRAM_IMPORT
from tenants.agency.models import JobRun
from tenants.community import profile
from tenants.community.imports import csvfile, uploads
from tenants.community.imports.csvfile import FileError
from tenants.community.models import CHANNELS, Upload
from tenants.core.db import db
from tenants.events import events, guests
from tenants.events.models import Event
from workers.start import start_import

from ..htmx import page
from ..labels import domain_message
from ..tenancy import actor, org_view
from . import bp

KINDS = ("members", "activities", guests.KIND, "telegram")      # what the uploaded file contains
CSV_KINDS = (*csvfile.KINDS, guests.KIND)
EVENT_CHOICES = 100         # upcoming and past events each, in the guest list's event picker
MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES") or 50 * 1024 * 1024)


def _index(error: str | None = None, status: int = 200):
    chosen = request.values.get("event", "")
    return page("imports/index.html", "content", status=status, error=error,
                recent=jobs.recent(db, IMPORT_KINDS, 10, org_id=g.org.id), max_mb=MAX_BYTES // (1024 * 1024),
                upcoming=events.upcoming(db, g.org.id, limit=EVENT_CHOICES),
                past=events.past(db, g.org.id, limit=EVENT_CHOICES), chosen_event=chosen,
                kind=request.values.get("kind") or ("guests" if chosen else "members"))


def _event(public_id: str | None) -> Event | None:
    return events.by_public_id(db, g.org.id, public_id) if public_id else None


@bp.route("/")
@org_view(write=True)
def index():
    return _index()


@bp.route("/settings", methods=["POST"])
@org_view(write=True)
def settings():
    orgs.set_store_message_text(g.org, request.form.get("store_message_text") == "on")
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
    event = _event(request.form.get("event")) if kind == guests.KIND else None
    if kind == guests.KIND and event is None:
        return _index(_("Choose the event the guest list is for."), 422)
    content = f.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        return _index(_("The file is larger than %(mb)s MB. Split it, or use the command line import.",
                        mb=MAX_BYTES // (1024 * 1024)), 413)
    fmt = uploads.TELEGRAM if kind == "telegram" else uploads.CSV
    try:
        up = uploads.create(db, g.org.id, fmt, f.filename, content, current_user.id)
    except FileError as exc:
        return _index(domain_message(exc.template, exc.params), 422)
    if fmt == uploads.TELEGRAM:
        run = start_import(db, up, TELEGRAM_IMPORT, {}, actor())
        return redirect(url_for("imports.show", agency_slug=g.agency.slug, org_slug=g.org.slug, job_id=run.public_id))
    db.commit()
    return redirect(url_for("imports.mapping", agency_slug=g.agency.slug, org_slug=g.org.slug,
                            upload_id=up.public_id, kind=kind, **({"event": event.public_id} if event else {})))


def _upload(upload_id: str) -> Upload:
    up = uploads.csv_by_public_id(db, g.org.id, upload_id)
    if up is None:
        abort(404)
    return up


def _mapping_context(up: Upload, kind: str, error: str | None = None) -> dict:
    try:        # checked on upload; a file stored before its checks were this strict says why here
        sheet = csvfile.read(uploads.head(db, up), limit=uploads.PREVIEW_ROWS, head=True)
    except FileError as exc:
        abort(_index(domain_message(exc.template, exc.params), 422))
    event = None
    if kind == guests.KIND:
        event = _event(request.values.get("event"))
        if event is None:
            abort(404)
        defs, guessed, fields = [], guests.guess_mapping(sheet.header), guests.FIELDS
    else:
        defs = profile.attribute_defs(db, g.org.id)
        guessed = csvfile.guess_mapping(sheet.header, kind, {d.label.lower(): d.key for d in defs}
                                          | {d.key: d.key for d in defs})
        fields = csvfile.MEMBER_FIELDS if kind == "members" else csvfile.ACTIVITY_FIELDS
    chosen = [request.form.get(f"map_{i}", guessed[i]) for i in range(len(sheet.header))] \
        if request.method == "POST" else guessed
    return {"up": up, "kind": kind, "event": event, "sheet": sheet, "mapping": chosen, "fields": fields, "defs": defs,
            "channels": CHANNELS, "timezones": csvfile.TIMEZONES, "error": error,
            "mode": request.form.get("mode", "skip"), "default_channel": request.form.get("default_channel", ""),
            "tz": request.form.get("tz", "Europe/Moscow")}


@bp.route("/uploads/<upload_id>")
@org_view(write=True)
def mapping(upload_id: str):
    kind = request.args.get("kind") if request.args.get("kind") in CSV_KINDS else "members"
    return page("imports/mapping.html", "content", **_mapping_context(_upload(upload_id), kind))


def _mapping_error(kind: str, chosen: list[str]) -> str | None:
    """Why the chosen mapping cannot import the file, or None."""
    if kind == guests.KIND and "email" not in chosen:
        return _("Map the column with the guests' emails: each guest is found or added by email.")
    if kind != guests.KIND and "external_id" not in chosen and "email" not in chosen:
        return _("Map one column to External id or to Email, so each row names a member.")
    if kind != guests.KIND and "external_id" in chosen and "channel" not in chosen \
            and request.form.get("default_channel") not in CHANNELS:
        return _("Choose the channel the ids belong to, or map a Channel column.")
    if kind == "activities" and not {"type", "occurred_at"} <= set(chosen):
        return _("Map the Type and Date columns.")
    if len([c for c in chosen if c]) != len({c for c in chosen if c}):
        return _("Each field can be mapped to one column only.")
    return None


@bp.route("/uploads/<upload_id>/start", methods=["POST"])
@org_view(write=True)
def start(upload_id: str):
    up = _upload(upload_id)
    kind = request.form.get("kind") if request.form.get("kind") in CSV_KINDS else "members"
    ctx = _mapping_context(up, kind)
    attrs = kind == "members"
    chosen = [m if (m in ctx["fields"] or (attrs and m.startswith("attr:"))) else "" for m in ctx["mapping"]]
    error = _mapping_error(kind, chosen)
    if error:
        return page("imports/mapping.html", "content", status=422, **{**ctx, "error": error})
    mode = "all" if request.form.get("mode") == "all" else "skip"
    if kind == guests.KIND:         # times without a zone are the event's
        params = {"kind": kind, "mapping": chosen, "mode": mode, "event_id": ctx["event"].id}
    else:
        tz = request.form.get("tz") if request.form.get("tz") in csvfile.TIMEZONES else "UTC"
        params = {"kind": kind, "mapping": chosen, "mode": mode,
                  "default_channel": request.form.get("default_channel", ""), "tz": tz}
    run = start_import(db, up, CSV_IMPORT, params, actor())
    return redirect(url_for("imports.show", agency_slug=g.agency.slug, org_slug=g.org.slug, job_id=run.public_id))


def _run(job_id: str) -> JobRun:
    run = jobs.by_public_id(db, job_id, org_id=g.org.id, kinds=IMPORT_KINDS)
    if run is None:
        abort(404)
    return run


@bp.route("/jobs/<job_id>")
@org_view(write=True)
def show(job_id: str):
    run = _run(job_id)
    if jobs.silent(run):            # its worker stopped sending its heartbeat: failed as lost now
        jobs.check_alive(db, run)
        db.commit()
    event = db.get(Event, run.params.get("event_id") or 0) if run.params.get("kind") == guests.KIND else None
    return page("imports/show.html", "progress", run=run, event=event if event and event.org_id == g.org.id else None,
                rejected=uploads.rejected(db, run) if run.status == "done" else [])


@bp.route("/jobs/<job_id>/rejected.csv")
@org_view(write=True)
def rejected(job_id: str):
    run = _run(job_id)
    return Response(uploads.rejected_csv(db, run), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="rejected-{run.public_id}.csv"'})
