"""Reports from the command line: generate an organisation's report for a month (optionally approved and
published at once), and share a published one."""
from __future__ import annotations

import click

from tenants.agency import orgs
from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.core.errors import DomainError
from tenants.core.i18n import base_url
from tenants.digest import service as digest
from tenants.reports import links, service

from .lookup import agency_by_slug, org_by_slug

CLI_ACTOR = Actor(email="cli")


@click.group("report", help="Client loyalty reports.")
def report_group() -> None:
    pass


@report_group.command("generate", help="Generate the organisation's report for a month (a new version if one "
                                       "exists); prints its web address and, last, its id.")
@click.argument("agency_slug")
@click.argument("org_slug")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--publish", is_flag=True, help="approve and publish it at once")
def generate(agency_slug: str, org_slug: str, month: str, publish: bool) -> None:
    agency = agency_by_slug(agency_slug)
    org = org_by_slug(agency, org_slug)
    with tenant_scope(agency.id, org.id), job_session() as s:
        try:
            report = service.generate(s, orgs.by_slug(s, org.slug), service.month_period(month), True, CLI_ACTOR)
            if publish:
                service.approve(s, report, CLI_ACTOR)
                service.publish(s, report, CLI_ACTOR)
                digest.send(s, org.id, "monthly", report=report)     # mailed when this commits
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
        s.commit()
        click.echo(f"{base_url()}/{agency.slug}/{org.slug}/reports/{report.public_id}")
        click.echo(report.public_id)


@report_group.command("share", help="Create a share link to a published report; prints its address last.")
@click.argument("agency_slug")
@click.argument("org_slug")
@click.argument("report_id")
@click.option("--expires-days", type=click.IntRange(1, links.MAX_DAYS), default=None)
def share(agency_slug: str, org_slug: str, report_id: str, expires_days: int | None) -> None:
    agency = agency_by_slug(agency_slug)
    org = org_by_slug(agency, org_slug)
    with tenant_scope(agency.id, org.id), job_session() as s:
        report = service.by_public_id(s, org.id, report_id, published_only=False)
        if report is None:
            raise click.ClickException(f"no report {report_id!r} in {org.slug!r}")
        try:
            _link, token = links.create(s, report, CLI_ACTOR, expires_days)
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
        s.commit()
        click.echo(f"{base_url()}/r/{token}")
