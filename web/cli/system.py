"""The database schema, the demo, and the background processes (RQ worker, scheduler)."""
from __future__ import annotations

import click
from flask import current_app
from rq import Worker

from tenants.core.migrate import upgrade
from tenants.demo.seed import DEMO_PASSWORD, seed
from workers import QUEUE_NAME, redis_connection
from workers.registry import load
from workers.scheduler import run_forever, tick


@click.group("db", help="Database schema (Alembic).")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Migrate to the newest schema as MIGRATIONS_DATABASE_URL; "
                                  "grant the app and system roles.")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    upgrade(current_app.config["COMMUNA"], revision)
    click.echo("database is up to date")


@click.command("seed-demo", help="Load the demo agency (idempotent) and print its logins.")
@click.option("--members", default=3000, show_default=True, help="community size of each demo organisation")
def seed_demo(members: int) -> None:
    agency_slug, logins = seed(members)
    click.echo(f"Demo agency: /{agency_slug}/")
    for role, email in logins:
        click.echo(f"  {role:<8} {email}  password: {DEMO_PASSWORD}")


@click.command("worker", help="Run an RQ worker for Communa's queue (needs REDIS_URL).")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:

    conn = redis_connection()
    if conn is None:
        raise click.ClickException("REDIS_URL is not set: jobs run in-process, no worker needed")
    load()
    Worker([QUEUE_NAME], connection=conn).work(burst=burst, with_scheduler=False)


@click.command("scheduler", help="Enqueue recurring work (one scheduler per deployment; a Redis lock "
                                 "keeps a second one from running anything twice).")
@click.option("--once", is_flag=True, help="Run one tick and exit.")
def scheduler(once: bool) -> None:
    if once:
        click.echo(tick())
    else:
        run_forever()
