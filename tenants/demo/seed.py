"""Demo data for `communa seed-demo`: one agency, three client organisations, one user per role."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tenants import scoring
from tenants.accounts.models import Agency, AgencyRole, User
from tenants.accounts.users import find_user, hash_password
from tenants.agency.models import OrgAccess, Organisation
from tenants.community.duplicates import refresh_name_keys
from tenants.community.models import Activity, Identity, Member, MemberDay
from tenants.core import audit, migrate
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.config import get_settings
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.demo import goals
from tenants.demo.activity import seed_org
from tenants.demo.goals import seed_goals
from tenants.metrics import rollups
from tenants.segments import starters

DEMO_PASSWORD = "communa-demo"  # noqa: S105 -- published demo login
DEMO_SLUG = "demo"
ORGS = (("Nordic Coffee", "nordic-coffee"), ("Urban Runners Club", "urban-runners"),
        ("Lumen Books", "lumen-books"))
USERS = (("owner", "Olga Owner"), ("admin", "Anton Admin"), ("manager", "Maria Manager"),
         ("client", "Kirill Client"))


def seed(members: int = 3000, now: datetime | None = None) -> tuple[str, list[tuple[str, str]]]:
    """Idempotent: running it again leaves one demo agency with the same logins. The communities' year ends
    `now` (default: the present); see demo.activity."""
    with system_scope() as s:
        agency = s.scalar(select(Agency).where(Agency.slug == DEMO_SLUG))
        if agency is None:
            agency = Agency(name="Demo Agency", slug=DEMO_SLUG)
            s.add(agency)
            s.flush()
        agency_id = agency.id
        users = {}
        for role, name in USERS:
            email = f"{role}@demo.communa.test"
            user = find_user(s, email)
            if user is None:
                user = User(email=email, name=name, password_hash=hash_password(DEMO_PASSWORD))
                s.add(user)
                s.flush()
            users[role] = user.id
    with tenant_scope(agency_id), job_session() as s:
        org_ids = []
        for name, slug in ORGS:
            org = s.scalar(select(Organisation).where(Organisation.slug == slug))
            if org is None:
                org = Organisation(name=name, slug=slug)
                s.add(org)
                s.flush()
                audit.record(s, "org_created", Actor(users["owner"], "owner@demo.communa.test"), target=name)
                starters.add(s, org.id, Actor(users["owner"], "owner@demo.communa.test"))
            org_ids.append(org.id)
        for role, user_id in users.items():
            if s.scalar(select(AgencyRole).where(AgencyRole.user_id == user_id)) is None:
                s.add(AgencyRole(user_id=user_id, role=role))
        assignments = {"manager": org_ids[:2], "client": org_ids[:1]}
        for role, ids in assignments.items():
            for org_id in ids:
                exists = s.scalar(select(OrgAccess).where(OrgAccess.user_id == users[role],
                                                          OrgAccess.org_id == org_id))
                if exists is None:
                    s.add(OrgAccess(user_id=users[role], org_id=org_id, role=role))
    fill_communities(agency_id, members, now)
    with tenant_scope(agency_id), job_session() as s:
        refresh_name_keys(s)            # as the nightly clean-up would: the duplicates page opens at full speed
    return DEMO_SLUG, [(role, f"{role}@demo.communa.test") for role, _ in USERS]


def fill_communities(agency_id: int, members: int = 3000, now: datetime | None = None) -> None:
    """Each demo organisation gets its own community up to `now` (idempotent), then scores, stages, at-risk
    flags, influence and metrics as of `now`."""
    now = now or utcnow()
    with tenant_scope(agency_id), job_session() as s:
        orgs = [(o.id, o.slug) for o in s.scalars(select(Organisation).order_by(Organisation.id))]
    for org_id, slug in orgs:
        with tenant_scope(agency_id, org_id), job_session() as s:
            seed_org(s, org_id, slug.split("-")[0], members=members, now=now)
        migrate.analyze(get_settings(), (Member, Identity, Activity, MemberDay))
        # Scores, stages and metrics, as the nightly recompute would leave them.
        with tenant_scope(agency_id, org_id), job_session() as s:
            scoring.full(s, org_id, as_of=now)
            rollups.rollup(s, org_id, as_of=now)
        with tenant_scope(agency_id, org_id), job_session() as s:
            owner = s.scalar(select(AgencyRole.user_id).where(AgencyRole.role == "owner").order_by(AgencyRole.id))
            seed_goals(s, org_id, now.date(), goals.owner_of(s, owner) if owner else None,
                       Actor(owner, "owner@demo.communa.test"))
