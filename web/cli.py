"""The `communa` command: Flask's CLI for the app plus Communa's own commands."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import FlaskGroup

from tenants import accounts, orgs
from tenants.audit import Actor
from tenants.context import tenant_scope
from tenants.db import job_session, system_scope
from tenants.models import Agency


def _create_app():
    from . import create_app
    return create_app()


cli = FlaskGroup(create_app=_create_app, help="Communa: community-management dashboard for agencies.")


def main() -> None:
    cli(prog_name="communa")


def register(app) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(api_key_group)
    app.cli.add_command(import_group)
    app.cli.add_command(metrics_group)
    for command in (seed_demo, worker, scheduler, create_agency, create_org):
        app.cli.add_command(command)


@click.group("db", help="Database schema (Alembic).")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Migrate to the newest schema as MIGRATIONS_DATABASE_URL; grant the app role.")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    from tenants.migrate import upgrade
    upgrade(current_app.config["COMMUNA"], revision)
    click.echo("database is up to date")


@click.command("create-agency", help="Create an agency with its owner; prints the agency slug.")
@click.argument("name")
@click.option("--owner-email", required=True)
@click.option("--owner-password", required=True)
@click.option("--owner-name", default=None)
def create_agency(name: str, owner_email: str, owner_password: str, owner_name: str | None) -> None:
    try:
        result = accounts.create_agency(name, owner_name or owner_email.split("@")[0], owner_email, owner_password)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(result.agency.slug)


@click.command("create-org", help="Create a client organisation in an agency; prints the org slug.")
@click.argument("agency_slug")
@click.argument("name")
def create_org(agency_slug: str, name: str) -> None:
    agency = _agency(agency_slug)
    with tenant_scope(agency.id), job_session() as s:
        try:
            org = orgs.create(s, name, Actor(email="cli"))
        except orgs.OrgError as exc:
            raise click.ClickException(str(exc)) from exc
        slug = org.slug
    click.echo(slug)


def _agency(slug: str) -> Agency:
    from sqlalchemy import select
    with system_scope() as s:
        agency = s.scalar(select(Agency).where(Agency.slug == slug))
        if agency is None:
            raise click.ClickException(f"no agency {slug!r}")
        s.expunge(agency)
        return agency


@click.command("seed-demo", help="Load the demo agency (idempotent) and print its logins.")
@click.option("--members", default=3000, show_default=True, help="community size of each demo organisation")
def seed_demo(members: int) -> None:
    from tenants.demo import DEMO_PASSWORD, seed
    agency_slug, logins = seed(members)
    click.echo(f"Demo agency: /{agency_slug}/")
    for role, email in logins:
        click.echo(f"  {role:<8} {email}  password: {DEMO_PASSWORD}")


@click.command("worker", help="Run an RQ worker for Communa's queue (needs REDIS_URL).")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    from rq import Worker

    from workers import QUEUE_NAME, redis_connection
    from workers.registry import load
    conn = redis_connection()
    if conn is None:
        raise click.ClickException("REDIS_URL is not set: jobs run in-process, no worker needed")
    load()
    Worker([QUEUE_NAME], connection=conn).work(burst=burst, with_scheduler=False)


@click.command("scheduler", help="Enqueue recurring work (one scheduler per deployment; a Redis lock "
                                 "keeps a second one from running anything twice).")
@click.option("--once", is_flag=True, help="Run one tick and exit.")
def scheduler(once: bool) -> None:
    from workers.scheduler import run_forever, tick
    if once:
        click.echo(tick())
    else:
        run_forever()


if __name__ == "__main__":
    main()


def _org(agency: Agency, slug: str):
    with tenant_scope(agency.id), job_session() as s:
        org = orgs.by_slug(s, slug)
        if org is None:
            raise click.ClickException(f"no organisation {slug!r} in {agency.slug!r}")
        s.expunge(org)
        return org


@click.group("api-key", help="Organisation API keys.")
def api_key_group() -> None:
    pass


@api_key_group.command("create", help="Create an API key for an organisation and print it (shown only once).")
@click.argument("agency_slug")
@click.argument("org_slug")
@click.argument("name")
def api_key_create(agency_slug: str, org_slug: str, name: str) -> None:
    from tenants import apikeys
    agency = _agency(agency_slug)
    org = _org(agency, org_slug)
    with tenant_scope(agency.id, org.id), job_session() as s:
        _key, token = apikeys.create(s, org.id, name, Actor(email="cli"))
    click.echo(token)


@click.group("import", help="Import members or activity from files (the same jobs the web UI runs).")
def import_group() -> None:
    pass


def _run_import(agency: Agency, org, filename: str, content: bytes, upload_kind: str, job_kind: str,
                params: dict) -> dict:
    from tenants import jobs as job_service
    from tenants.models import JobRun, Upload
    from workers.runner import run
    with tenant_scope(agency.id, org.id), job_session() as s:
        up = Upload(org_id=org.id, filename=filename, kind=upload_kind, size=len(content), content=content)
        s.add(up)
        s.flush()
        job = job_service.create(s, job_kind, org.id, {"upload_id": up.id, **params}, None)
        s.flush()
        run_id = job.id
    try:
        run(run_id, agency.id)
    except Exception as exc:
        raise click.ClickException(f"import failed: {exc}") from exc
    from workers import wait_for_local_jobs
    wait_for_local_jobs()       # without Redis, the scoring the import requested runs on threads of this process
    with tenant_scope(agency.id, org.id), job_session() as s:
        return dict(s.get(JobRun, run_id).result or {})


def _print_counts(result: dict) -> None:
    for key in ("rows", "messages", "imported", "updated", "duplicates", "rejected", "members_created"):
        if key in result:
            click.echo(f"{key}: {result[key]}")
    if result.get("aborted"):
        click.echo("nothing imported: bad rows and --mode all")


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
    import json
    from pathlib import Path

    from tenants import csvimport
    agency = _agency(agency_slug)
    org = _org(agency, org_slug)
    content = Path(file).read_bytes()
    try:
        sheet = csvimport.read(content, limit=1)
    except csvimport.FileError as exc:
        raise click.ClickException(str(exc)) from exc
    if mapping:
        given = json.loads(mapping)
        columns = given if isinstance(given, list) else [given.get(h, "") for h in sheet.header]
    else:
        columns = csvimport.guess_mapping(sheet.header, kind, {})
        click.echo("mapping: " + json.dumps(dict(zip(sheet.header, columns, strict=True)), ensure_ascii=False))
    result = _run_import(agency, org, Path(file).name, content, "csv", "csv_import",
                         {"kind": kind, "mapping": columns, "mode": mode, "default_channel": default_channel, "tz": tz})
    _print_counts(result)


@import_group.command("telegram", help="Import a Telegram Desktop chat export (result.json).")
@click.argument("agency_slug")
@click.argument("org_slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_telegram(agency_slug, org_slug, file) -> None:
    from pathlib import Path

    from tenants import telegram
    from tenants.csvimport import FileError
    agency = _agency(agency_slug)
    org = _org(agency, org_slug)
    content = Path(file).read_bytes()
    try:
        telegram.load(content)
    except FileError as exc:
        raise click.ClickException(str(exc)) from exc
    _print_counts(_run_import(agency, org, Path(file).name, content, "telegram", "telegram_import", {}))


@click.group("metrics", help="Loyalty scores and metrics.")
def metrics_group() -> None:
    pass


@metrics_group.command("recompute", help="Score an organisation now: apply pending activity and the daily pass, "
                                         "or with --full rebuild every rollup and score from the activity table.")
@click.argument("agency_slug")
@click.argument("org_slug")
@click.option("--full", "full_", is_flag=True, help="rebuild from the activity table")
def metrics_recompute(agency_slug: str, org_slug: str, full_: bool) -> None:
    from tenants import jobs as job_service
    from tenants.models import JobRun
    from workers.runner import run
    from workers.scoring import DAILY, FULL, INCREMENTAL, waiting
    agency = _agency(agency_slug)
    org = _org(agency, org_slug)
    for kind in ((FULL,) if full_ else (INCREMENTAL, DAILY)):
        with tenant_scope(agency.id, org.id), job_session() as s:
            busy = waiting(s, org.id, kind, ("queued", "running") if kind != INCREMENTAL else ("running",))
            if busy is not None:
                raise click.ClickException(f"a {kind} run for this organisation is already {busy.status}: "
                                           f"{busy.public_id}")
            run_id = job_service.create(s, kind, org.id, {}, None).id
        try:
            run(run_id, agency.id)
        except Exception as exc:
            raise click.ClickException(f"{kind} failed: {exc}") from exc
        with tenant_scope(agency.id, org.id), job_session() as s:
            result = s.get(JobRun, run_id).result or {}
        click.echo(f"{kind}: " + ", ".join(f"{k} {v}" for k, v in result.items()))
