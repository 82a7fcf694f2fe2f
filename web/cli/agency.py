"""Agencies, organisations and API keys from the command line."""
from __future__ import annotations

import click

from tenants.accounts import users
from tenants.agency import apikeys, orgs
from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.segments import starters

from .lookup import agency_by_slug, org_by_slug


@click.command("create-agency", help="Create an agency with its owner; prints the agency slug.")
@click.argument("name")
@click.option("--owner-email", required=True)
@click.option("--owner-password", required=True)
@click.option("--owner-name", default=None)
def create_agency(name: str, owner_email: str, owner_password: str, owner_name: str | None) -> None:
    try:
        result = users.create_agency(name, owner_name or owner_email.split("@")[0], owner_email, owner_password)
    except users.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(result.agency.slug)


@click.command("create-org", help="Create a client organisation in an agency; prints the org slug.")
@click.argument("agency_slug")
@click.argument("name")
def create_org(agency_slug: str, name: str) -> None:
    agency = agency_by_slug(agency_slug)
    with tenant_scope(agency.id), job_session() as s:
        try:
            org = orgs.create(s, name, Actor(email="cli"))
            starters.add(s, org.id, Actor(email="cli"))
        except orgs.OrgError as exc:
            raise click.ClickException(str(exc)) from exc
        slug = org.slug
    click.echo(slug)


@click.group("api-key", help="Organisation API keys.")
def api_key_group() -> None:
    pass


@api_key_group.command("create", help="Create an API key for an organisation and print it (shown only once).")
@click.argument("agency_slug")
@click.argument("org_slug")
@click.argument("name")
def api_key_create(agency_slug: str, org_slug: str, name: str) -> None:
    agency = agency_by_slug(agency_slug)
    org = org_by_slug(agency, org_slug)
    with tenant_scope(agency.id, org.id), job_session() as s:
        _key, token = apikeys.create(s, org.id, name, Actor(email="cli"))
    click.echo(token)
