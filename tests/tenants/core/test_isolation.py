"""Walls two and three: ORM scoping that fails closed, and PostgreSQL row-level security."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from tenants.agency.models import Organisation
from tenants.core.context import TenantScopeError, set_tenant, tenant_scope
from tenants.core.db import SessionFactory, job_session, system_scope
from tenants.core.models import AuditLog
from tests.support import factories

# --- wall 3: RLS ------------------------------------------------------------------------------------

def test_every_agency_table_has_forced_rls_and_a_policy(owner_engine):
    with owner_engine.connect() as conn:
        tables = conn.execute(text("""
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname
                      AND p.qual IS NOT NULL AND p.with_check IS NOT NULL) AS policies
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN information_schema.columns col ON col.table_name = c.relname AND col.table_schema = n.nspname
            WHERE n.nspname = 'public' AND c.relkind = 'r' AND col.column_name = 'agency_id'
        """)).all()
    assert len(tables) >= 7
    missing = [t.relname for t in tables if not (t.relrowsecurity and t.relforcerowsecurity and t.policies)]
    assert missing == [], f"tables with agency_id but no forced RLS policy: {missing}"


def test_app_role_owns_nothing_and_cannot_bypass_rls(settings):
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        role = conn.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
        owned = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                                  "AND tableowner = current_user")).scalar()
    engine.dispose()
    assert (role.rolsuper, role.rolbypassrls) == (False, False)
    assert owned == 0


def test_raw_sql_as_app_role_without_tenant_sees_nothing(settings, two_agencies):
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM organisation")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM agency_role")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0
    engine.dispose()
    # ...while the rows are there (the system role, through its own policy, sees both).
    with system_scope() as s:
        assert s.scalar(select(text("count(*)")).select_from(Organisation)) == 2


def test_raw_sql_sees_only_the_tenant_set_in_the_transaction(settings, two_agencies):
    a, b, _a1, _b1 = two_agencies
    engine = create_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.agency_id', :a, true)"), {"a": str(a.id)})
        names = conn.execute(text("SELECT name FROM organisation")).scalars().all()
        assert names == ["Alpha One"]
        # WITH CHECK: writing a row for another agency is refused by the database itself.
        with pytest.raises(DBAPIError, match="row-level security"), conn.begin_nested():
            conn.execute(text("INSERT INTO organisation (agency_id, public_id, slug, name, created_at) "
                              "VALUES (:b, 'x1', 'x', 'X', now())"), {"b": b.id})
        # Updates cannot reach the other agency's rows either.
        touched = conn.execute(text("UPDATE organisation SET name = 'hacked' WHERE agency_id = :b"), {"b": b.id})
        assert touched.rowcount == 0
    engine.dispose()


def test_policies_read_the_tenant_settings_once_per_query(settings, owner_engine, two_agencies):
    """Every policy is the current predicate, and PostgreSQL runs its settings as InitPlans: a bare
    current_setting() in a policy is evaluated for every row scanned."""
    with owner_engine.connect() as conn:
        policies = conn.execute(text("SELECT tablename, qual, with_check FROM pg_policies "
                                     "WHERE policyname = 'tenant_isolation'")).all()
    assert len(policies) >= 7
    stale = [p.tablename for p in policies if "(SELECT" not in p.qual.upper().replace("( SELECT", "(SELECT")]
    assert stale == []
    a, _b, _a1, _b1 = two_agencies
    engine = create_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.agency_id', :a, true)"), {"a": str(a.id)})
        plan = "\n".join(conn.execute(text("EXPLAIN SELECT count(*) FROM organisation")).scalars())
        assert conn.execute(text("SELECT name FROM organisation")).scalars().all() == ["Alpha One"]
    engine.dispose()
    assert "InitPlan" in plan
    filters = [line for line in plan.splitlines() if "Filter" in line or "Cond" in line]
    assert filters and not any("current_setting" in line for line in filters), plan


# --- wall 2: ORM scoping ----------------------------------------------------------------------------

def test_query_without_tenant_fails_closed(two_agencies):
    session = SessionFactory()
    try:
        with pytest.raises(TenantScopeError):
            session.scalars(select(Organisation)).all()
        with pytest.raises(TenantScopeError):
            session.execute(select(Organisation.name).join(AuditLog, AuditLog.agency_id == Organisation.agency_id))
    finally:
        session.close()


def test_query_in_tenant_sees_only_its_agency_even_when_asking_for_another(two_agencies):
    a, b, _a1, _b1 = two_agencies
    with tenant_scope(a.id), job_session() as s:
        assert [o.name for o in s.scalars(select(Organisation))] == ["Alpha One"]
        assert s.scalars(select(Organisation).where(Organisation.agency_id == b.id)).all() == []
        # ORM bulk UPDATE is scoped as well.
        s.execute(update(Organisation).values(name="renamed"))
    with tenant_scope(b.id), job_session() as s:
        assert [o.name for o in s.scalars(select(Organisation))] == ["Beta One"]


def test_bulk_insert_with_another_agencys_id_is_refused(two_agencies):
    a, b, _a1, _b1 = two_agencies
    with tenant_scope(a.id):
        session = SessionFactory()
        try:
            with pytest.raises(TenantScopeError):
                session.execute(insert(Organisation), [
                    {"agency_id": a.id, "public_id": "ok1", "slug": "ok", "name": "OK"},
                    {"agency_id": b.id, "public_id": "bad1", "slug": "bad", "name": "Bad"},
                ])
            session.rollback()
            with pytest.raises(TenantScopeError):
                session.execute(insert(Organisation).values(agency_id=b.id, public_id="bad2", slug="b2", name="B"))
        finally:
            session.close()
    with system_scope() as s:
        assert sorted(s.scalars(select(Organisation.name))) == ["Alpha One", "Beta One"]


def test_flush_of_object_for_another_agency_is_refused_and_new_objects_are_stamped(two_agencies):
    a, b, _a1, _b1 = two_agencies
    with tenant_scope(a.id):
        session = SessionFactory()
        try:
            session.add(Organisation(agency_id=b.id, slug="intruder", name="Intruder"))
            with pytest.raises(TenantScopeError):
                session.flush()
            session.rollback()
            org = Organisation(slug="stamped", name="Stamped")
            session.add(org)
            session.flush()
            assert org.agency_id == a.id
        finally:
            session.rollback()
            session.close()


def test_a_session_never_switches_tenant(two_agencies):
    a, b, _a1, _b1 = two_agencies
    session = SessionFactory()
    try:
        with tenant_scope(a.id):
            session.scalars(select(Organisation)).all()
        with tenant_scope(b.id), pytest.raises(TenantScopeError):
            session.scalars(select(Organisation)).all()
    finally:
        session.close()


def test_set_tenant_refuses_to_change_agency(two_agencies):
    a, b, _a1, _b1 = two_agencies
    with tenant_scope(a.id):
        set_tenant(a.id, None)  # refining within the same agency is fine
        with pytest.raises(TenantScopeError):
            set_tenant(b.id)


# --- the request's first reads ----------------------------------------------------------------------

def test_user_memberships_answers_for_one_user_and_nothing_else(settings, two_agencies):
    """The SECURITY DEFINER function: the user's own grants in every agency, in the request's transaction; before
    and after it, the transaction sees what its own settings allow (nothing, with none)."""
    a, b, a1, b1 = two_agencies
    mia = factories.person(a, "mia@else.test", "manager", [a1.id])
    factories.person(b, "mia@else.test", "client", [b1.id])
    other = factories.person(a, "zed@else.test", "admin")
    engine = create_engine(settings.database_url)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM agency_role")).scalar() == 0
        rows = conn.execute(text("SELECT agency_id, role, org_id FROM user_memberships(:u) ORDER BY agency_id"),
                            {"u": mia.id}).all()
        assert [tuple(r) for r in rows] == [(a.id, "manager", a1.id), (b.id, "client", b1.id)]
        assert [tuple(r) for r in conn.execute(text("SELECT * FROM user_memberships(:u)"), {"u": other.id})] == [
            (a.id, "admin", None)]
        assert conn.execute(text("SELECT count(*) FROM agency_role")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM org_access")).scalar() == 0
    engine.dispose()


def test_the_organisation_and_its_scoring_state_come_from_the_agency_in_scope(two_agencies):
    """org_and_state() by slug: two agencies may both have an organisation called "Same"; each sees its own,
    with its own stamps and its own running recompute, and a slug only the other agency has finds nothing."""
    from tenants.agency.models import JobRun
    from tenants.core.base import utcnow
    from tenants.scoring import org_and_state
    from tenants.scoring.models import OrgScore
    a, b, _a1, b1 = two_agencies
    mine, theirs = factories.org(a, "Same"), factories.org(b, "Same")
    assert mine.slug == theirs.slug
    with tenant_scope(b.id), job_session() as s:
        s.add(OrgScore(agency_id=b.id, org_id=theirs.id, scored_at=utcnow()))
        s.add(JobRun(agency_id=b.id, org_id=theirs.id, kind="score_full", status="running"))
    with tenant_scope(a.id), job_session() as s:
        org, state, running = org_and_state(s, "same")
        assert (org.id, state, running) == (mine.id, None, None)
        assert org_and_state(s, b1.slug) is None
        s.add(JobRun(agency_id=a.id, org_id=mine.id, kind="score_daily", status="queued"))
        s.flush()
        assert org_and_state(s, "same")[2].org_id == mine.id
    with tenant_scope(b.id), job_session() as s:
        org, state, running = org_and_state(s, "same")
        assert (org.id, state.org_id, running.org_id, running.kind) == (theirs.id, theirs.id, theirs.id, "score_full")


def test_a_statement_built_once_fails_closed_every_time(two_agencies):
    """The scoping hook remembers, per statement, whether it reads tenant tables; the answer for a statement
    reused across requests (access._PEOPLE reads agency_role through a subquery) is still "refuse without a
    tenant", on the first run and the second."""
    from tenants.agency import access
    a, _b, a1, _b1 = two_agencies
    for _ in range(2):
        session = SessionFactory()
        try:
            with pytest.raises(TenantScopeError):
                access.people_with_access(session, a1.id)
        finally:
            session.close()
    with tenant_scope(a.id, a1.id), job_session() as s:
        assert [p.email for p in access.people_with_access(s, a1.id)] == [a.owner_email]


def test_the_sign_in_session_brings_its_users_memberships_and_no_one_elses(two_agencies):
    """team.signed_in(): the user of a good sign-in session with their memberships in the same query (what the
    first wall then uses); another user's grants never come along; a revoked session or a user with no
    agency left gives what it should; the session stays bound to no tenant and RLS stays closed."""
    from tenants.accounts import users
    from tenants.accounts.models import User
    from tenants.agency import team
    a, b, a1, b1 = two_agencies
    mia = factories.person(a, "mia@else.test", "manager", [a1.id])
    factories.person(b, "mia@else.test", "client", [b1.id])
    factories.person(b, "zed@else.test", "manager", [b1.id])
    lone = factories.person(a, "lone@else.test", "admin")
    with system_scope() as s:
        keys = {u.email: users.open_session(s, s.get(User, u.id), "127.0.0.1", "test") for u in (mia, lone)}
        with tenant_scope(a.id), job_session() as t:
            t.execute(text("DELETE FROM agency_role WHERE user_id = :u"), {"u": lone.id})
    session = SessionFactory()
    try:
        user, found = team.signed_in(session, keys["mia@else.test"])
        assert user.id == mia.id
        assert [(ag.id, m.role, m.org_ids) for ag, m in found] == [(a.id, "manager", {a1.id}),
                                                                   (b.id, "client", {b1.id})]
        assert [(ag.id, m.role, m.org_ids) for ag, m in found] == [
            (ag.id, m.role, m.org_ids) for ag, m in team.memberships_of(mia.id)]
        assert "tenant" not in session.info
        assert session.execute(text("SELECT count(*) FROM agency_role")).scalar() == 0
        with tenant_scope(b.id):          # and the session can still enter the agency the user picks
            assert [o.name for o in session.scalars(select(Organisation))] == ["Beta One"]
        user, found = team.signed_in(session, keys["lone@else.test"])
        assert (user.id, found) == (lone.id, [])
        assert team.signed_in(session, "no-such-key") is None
        users.revoke_session(session, keys["mia@else.test"])
        session.commit()
        assert team.signed_in(session, keys["mia@else.test"]) is None
    finally:
        session.close()
