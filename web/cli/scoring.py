"""Scoring from the command line."""
from __future__ import annotations

import click

from tenants.agency import jobs as job_service
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from workers.runner import run
from workers.scoring import ACTIVE, DAILY, FULL, INCREMENTAL

from .lookup import agency_by_slug, org_by_slug


@click.group("metrics", help="Loyalty scores and metrics.")
def metrics_group() -> None:
    pass


@metrics_group.command("recompute", help="Score an organisation now: apply pending activity and the daily pass, "
                                         "or with --full rebuild every rollup and score from the activity table.")
@click.argument("agency_slug")
@click.argument("org_slug")
@click.option("--full", "full_", is_flag=True, help="rebuild from the activity table")
def metrics_recompute(agency_slug: str, org_slug: str, full_: bool) -> None:
    agency = agency_by_slug(agency_slug)
    org = org_by_slug(agency, org_slug)
    for kind in ((FULL,) if full_ else (INCREMENTAL, DAILY)):
        with tenant_scope(agency.id, org.id), job_session() as s:
            job, new = job_service.request(s, kind, org.id, ACTIVE if kind != INCREMENTAL else ("running",),
                                           dispatch=False)
            if not new:
                raise click.ClickException(f"a {kind} run for this organisation is already {job.status}: "
                                           f"{job.public_id}")
            run_id = job.id
        try:
            run(run_id, agency.id)
        except Exception as exc:
            raise click.ClickException(f"{kind} failed: {exc}") from exc
        with tenant_scope(agency.id, org.id), job_session() as s:
            result = job_service.get(s, run_id).result or {}
        click.echo(f"{kind}: " + ", ".join(f"{k} {v}" for k, v in result.items()))
