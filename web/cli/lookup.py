"""Look-ups shared by the commands: an agency or organisation by its slug, or a clear error."""
from __future__ import annotations

import click

from tenants.accounts import users
from tenants.accounts.models import Agency
from tenants.agency import orgs
from tenants.agency.models import Organisation
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope


def agency_by_slug(slug: str) -> Agency:
    with system_scope() as s:
        agency = users.agency_by_slug(s, slug)
        if agency is None:
            raise click.ClickException(f"no agency {slug!r}")
        s.expunge(agency)
        return agency


def org_by_slug(agency: Agency, slug: str) -> Organisation:
    with tenant_scope(agency.id), job_session() as s:
        org = orgs.by_slug(s, slug)
        if org is None:
            raise click.ClickException(f"no organisation {slug!r} in {agency.slug!r}")
        s.expunge(org)
        return org
