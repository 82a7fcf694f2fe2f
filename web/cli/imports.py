"""Imports from the command line: the same jobs the web UI runs, run in this process."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click

from tenants.accounts.models import Agency
from tenants.agency import jobs as job_service
from tenants.agency.jobs import CSV_IMPORT, TELEGRAM_IMPORT
from tenants.agency.models import Organisation
from tenants.community.imports import csvfile, uploads
from tenants.community.imports.csvfile import FileError
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.events import events, guests
from workers import wait_for_local_jobs
from workers.runner import run

from .lookup import agency_by_slug, org_by_slug


@click.group("import", help="Import members, activity or an event's guest list from files (the same jobs the web UI "
                            "runs).")
def import_group() -> None:
    pass


def _run_import(agency: Agency, org: Organisation, filename: str, content: bytes, fmt: str, job_kind: str,
                params: dict) -> dict:
    """Store the file through the upload service (the web page's path), then run the job here."""
    with tenant_scope(agency.id, org.id), job_session() as s:
        try:
            up = uploads.create(s, org.id, fmt, filename, content)
        except FileError as exc:
            raise click.ClickException(str(exc)) from exc
        run_id = job_service.create(s, job_kind, org.id, {"upload_id": up.id, **params}, None).id
    try:
        run(run_id, agency.id)
    except Exception as exc:
        raise click.ClickException(f"import failed: {exc}") from exc
    wait_for_local_jobs()       # without Redis, the scoring the import requested runs on threads of this process
    with tenant_scope(agency.id, org.id), job_session() as s:
        return dict(job_service.get(s, run_id).result or {})


def _print_counts(result: dict) -> None:
    for key in ("rows", "messages", "imported", "updated", "checked_in", "duplicates", "rejected", "skipped",
                "members_created"):
        if key in result:
            click.echo(f"{key}: {result[key]}")
    if result.get("aborted"):
        click.echo("nothing imported: bad rows and --mode all")


def _columns(content: bytes, mapping: str | None, guess: Callable[[list[str]], list[str]]) -> list[str]:
    """The field of each column: from --mapping (a list, or an object by header), else guessed and printed."""
    try:
        sheet = csvfile.read(content, limit=1, head=True)
    except csvfile.FileError as exc:
        raise click.ClickException(str(exc)) from exc
    if not mapping:
        columns = guess(sheet.header)
        click.echo("mapping: " + json.dumps(dict(zip(sheet.header, columns, strict=True)), ensure_ascii=False))
        return columns
    try:
        given = json.loads(mapping)
    except ValueError as exc:
        raise click.ClickException(f"--mapping is not JSON: {exc}") from exc
    if isinstance(given, dict):
        return [str(given.get(h, "")) for h in sheet.header]
    if isinstance(given, list):
        return [str(f) for f in given]
    raise click.ClickException("--mapping must be a JSON list or object")


@import_group.command("csv", help="Import a CSV file of members or activities.")
@click.argument("agency_slug")
@click.argument("org_slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=click.Choice(["members", "activities"]), required=True)
@click.option("--mapping", default=None,
              help='JSON: {"column header": "field"} or a list of fields per column; guessed when left out.')
@click.option("--mode", type=click.Choice(["skip", "all"]), default="skip", help="skip bad rows, or all or nothing")
@click.option("--channel", "default_channel", default="", help="channel of the ids when no column names it")
@click.option("--tz", default="UTC", help="time zone of dates without one")
def import_csv(agency_slug, org_slug, file, kind, mapping, mode, default_channel, tz) -> None:
    agency = agency_by_slug(agency_slug)
    org = org_by_slug(agency, org_slug)
    content = Path(file).read_bytes()
    columns = _columns(content, mapping, lambda header: csvfile.guess_mapping(header, kind, {}))
    result = _run_import(agency, org, Path(file).name, content, uploads.CSV, CSV_IMPORT,
                         {"kind": kind, "mapping": columns, "mode": mode, "default_channel": default_channel, "tz": tz})
    _print_counts(result)


@import_group.command("guests", help="Import an event's guest list (a Luma or Eventbrite export, or any CSV with "
                                     "an email per guest).")
@click.argument("agency_slug")
@click.argument("org_slug")
@click.argument("event_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--mapping", default=None,
              help='JSON: {"column header": "field"} or a list of fields per column; recognised when left out.')
@click.option("--mode", type=click.Choice(["skip", "all"]), default="skip", help="skip bad rows, or all or nothing")
def import_guests(agency_slug, org_slug, event_id, file, mapping, mode) -> None:
    agency = agency_by_slug(agency_slug)
    org = org_by_slug(agency, org_slug)
    with tenant_scope(agency.id, org.id), job_session() as s:
        event = events.by_public_id(s, org.id, event_id)
        if event is None:
            raise click.ClickException(f"no event {event_id} in {agency_slug}/{org_slug}")
        event_pk = event.id
    content = Path(file).read_bytes()
    columns = _columns(content, mapping, guests.guess_mapping)
    if "email" not in columns:
        raise click.ClickException("no column holds the guests' emails: give --mapping")
    _print_counts(_run_import(agency, org, Path(file).name, content, uploads.CSV, CSV_IMPORT,
                              {"kind": guests.KIND, "mapping": columns, "mode": mode, "event_id": event_pk}))


@import_group.command("telegram", help="Import a Telegram Desktop chat export (result.json).")
@click.argument("agency_slug")
@click.argument("org_slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_telegram(agency_slug, org_slug, file) -> None:
    agency = agency_by_slug(agency_slug)
    org = org_by_slug(agency, org_slug)
    content = Path(file).read_bytes()
    _print_counts(_run_import(agency, org, Path(file).name, content, uploads.TELEGRAM, TELEGRAM_IMPORT, {}))
