"""Building blocks for tests: agencies, organisations and people made through the real services."""
from __future__ import annotations

from dataclasses import dataclass

from tenants.accounts import users
from tenants.accounts.models import AgencyRole, User
from tenants.agency import orgs
from tenants.agency.models import OrgAccess, Organisation
from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.segments import starters
from tests.support.http import PASSWORD


@dataclass
class Agency:
    id: int
    slug: str
    owner_email: str


def agency(name: str, owner_email: str) -> Agency:
    result = users.create_agency(name, name + " Owner", owner_email, PASSWORD)
    return Agency(result.agency.id, result.agency.slug, owner_email)


def org(a: Agency, name: str) -> Organisation:
    with tenant_scope(a.id), job_session() as s:
        o = orgs.create(s, name, Actor(email="test"))
        starters.add(s, o.id, Actor(email="test"))
        s.flush()
        s.expunge(o)
        return o


def person(a: Agency, email: str, role: str, org_ids: list[int] = ()) -> User:
    with system_scope() as s:
        user = users.find_user(s, email)
        if user is None:
            user = User(email=email, name=email.split("@")[0].title(), password_hash=users.hash_password(PASSWORD))
            s.add(user)
            s.flush()
        s.add(AgencyRole(agency_id=a.id, user_id=user.id, role=role))
        for org_id in org_ids:
            s.add(OrgAccess(agency_id=a.id, org_id=org_id, user_id=user.id, role=role))
        s.flush()
        s.expunge(user)
        return user


def ingest_into(a: Agency, o: Organisation, items: list):
    """Store activity as ingest does, without requesting the scoring job: each test scores when it means to."""
    from tenants.community.ingest import ingest
    with tenant_scope(a.id, o.id), job_session() as s:
        return ingest(s, o.id, items, rescore=False)


def settle(a: Agency, o: Organisation) -> None:
    """Apply what ingest queued, as the scoring worker does after every batch (scores and member counters)."""
    from tenants.scoring import incremental
    with tenant_scope(a.id, o.id), job_session() as s:
        while incremental(s, o.id).members:
            s.commit()
