"""Defence in depth: connected as the app role, no statement reaches past its tenant. Cross-tenant work runs as
the system role (SYSTEM_DATABASE_URL), which the app role cannot become; the one definer function answers its
one question."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tenants.agency.models import JobRun, Organisation
from tenants.community.validate import ActivityIn, IdentityRef
from tenants.core import rls
from tenants.core.config import Settings
from tenants.core.context import TenantScopeError, _system_context, tenant_scope
from tenants.core.db import SessionFactory, job_session, system_scope
from tenants.core.migrate import grant_system_role
from tests.support import factories
from tests.support.database import ADMIN_URL, OWNER_ROLE, SYSTEM_ROLE


def _tenant_tables(owner_engine) -> list[str]:
    with owner_engine.connect() as conn:
        return sorted(conn.execute(text(rls.tables_sql())).scalars())


def _fill(a, b, b1) -> None:
    """Rows of agency B in as many tenant tables as its ordinary use writes."""
    factories.person(b, "mia@beta.test", "manager", [b1.id])
    factories.ingest_into(b, b1, [ActivityIn(IdentityRef("telegram", "42", display_name="Mia"), "message",
                                             datetime(2026, 5, 2, tzinfo=UTC), "m1", "telegram")])
    with tenant_scope(b.id, b1.id), job_session() as s:
        s.add(JobRun(agency_id=b.id, org_id=b1.id, kind="score_full", status="queued"))


def _rows_of_others(conn, tables: list[str], agency_id: int) -> dict[str, int]:
    found = {}
    for table in tables:
        n = conn.execute(text(f'SELECT count(*) FROM "{table}" WHERE agency_id IS DISTINCT FROM :a'),  # noqa: S608
                         {"a": agency_id}).scalar()
        if n:
            found[table] = n
    return found


def test_the_system_flag_gives_the_app_role_nothing(settings, owner_engine, two_agencies):
    """`app.system = on`, set any way the app role can, opens no other agency's rows in any tenant table, with
    or without an agency of its own, for reading or writing."""
    a, b, _a1, b1 = two_agencies
    _fill(a, b, b1)
    tables = _tenant_tables(owner_engine)
    assert len(tables) >= 20
    system = create_engine(settings.system_database_url)
    with system.connect() as conn:                  # the rows are there: the system role sees them
        seen = _rows_of_others(conn, tables, a.id)
    system.dispose()
    assert {"organisation", "agency_role", "org_access", "audit_log", "member", "identity", "activity",
            "job_run"} <= set(seen)
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        conn.execute(text("SET app.system = 'on'"))
        conn.execute(text("SELECT set_config('app.system', 'on', false)"))
        assert _rows_of_others(conn, tables, a.id) == {}
        assert sum(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables) == 0  # noqa: S608
        conn.execute(text("SELECT set_config('app.agency_id', :a, false)"), {"a": str(a.id)})
        assert _rows_of_others(conn, tables, a.id) == {}
        assert conn.execute(text("SELECT count(*) FROM organisation")).scalar() == 1
        assert conn.execute(text("UPDATE organisation SET name = 'x' WHERE agency_id = :b"), {"b": b.id}).rowcount == 0
        assert conn.execute(text("DELETE FROM agency_role WHERE agency_id = :b"), {"b": b.id}).rowcount == 0
        with pytest.raises(DBAPIError, match="row-level security"), conn.begin_nested():
            conn.execute(text("INSERT INTO organisation (agency_id, public_id, slug, name, created_at) "
                              "VALUES (:b, 'x1', 'x', 'X', now())"), {"b": b.id})
        conn.rollback()
    engine.dispose()


@pytest.mark.parametrize("statement", [
    f"SET ROLE {SYSTEM_ROLE}",
    f"SET ROLE {OWNER_ROLE}",
    f"SET SESSION AUTHORIZATION {SYSTEM_ROLE}",
    f"GRANT {SYSTEM_ROLE} TO CURRENT_USER",
    "ALTER ROLE CURRENT_USER BYPASSRLS",
    "ALTER TABLE organisation NO FORCE ROW LEVEL SECURITY",
    "ALTER TABLE organisation DISABLE ROW LEVEL SECURITY",
    f"ALTER POLICY {rls.POLICY} ON organisation USING (true)",
    "CREATE POLICY mine ON organisation USING (true)",
    "CREATE OR REPLACE FUNCTION user_memberships(p_user_id bigint) "
    "RETURNS TABLE (agency_id bigint, role varchar, org_id bigint) "
    "LANGUAGE sql AS $$ SELECT 1::bigint, '', 1::bigint $$",
])
def test_the_app_role_cannot_become_another_role_or_lift_the_policies(settings, statement):
    engine = create_engine(settings.database_url)
    with engine.connect() as conn, pytest.raises(DBAPIError) as raised:
        conn.execute(text(statement))
    engine.dispose()
    assert isinstance(raised.value.orig, psycopg.errors.InsufficientPrivilege), raised.value


def test_system_scope_connects_as_the_system_role_which_bypasses_nothing_but_its_policy(two_agencies):
    with system_scope() as s:
        assert s.scalar(text("SELECT current_user")) == SYSTEM_ROLE
        flags = s.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
        assert tuple(flags) == (False, False)
        assert sorted(s.scalars(select(Organisation.name))) == ["Alpha One", "Beta One"]


def test_every_tenant_table_lets_the_system_role_through_by_its_own_policy(owner_engine):
    with owner_engine.connect() as conn:
        rows = conn.execute(text(rls.system_policies_sql())).all()
    assert len(rows) >= 20
    assert [t for t, roles in rows if roles != [SYSTEM_ROLE]] == []


def test_system_work_on_the_app_roles_session_fails_loudly(two_agencies):
    """Without the system role's connection a system query would quietly find nothing: it is refused instead."""
    session = SessionFactory()
    try:
        with _system_context(), pytest.raises(TenantScopeError, match="system_scope"):
            session.scalars(select(Organisation)).all()
    finally:
        session.close()


def test_user_memberships_runs_as_the_owner_with_a_fixed_search_path(settings, owner_engine, two_agencies):
    """The definer function cannot be steered: a temporary table of the caller's named like the one it reads is
    not what it reads, and only the app role may call it."""
    a, _b, a1, _b1 = two_agencies
    mia = factories.person(a, "mia@else.test", "manager", [a1.id])
    with owner_engine.connect() as conn:
        fn = conn.execute(text("SELECT prosecdef, pg_get_userbyid(proowner) AS owner, proconfig FROM pg_proc "
                               "WHERE proname = 'user_memberships'")).one()
    assert (fn.prosecdef, fn.owner) == (True, OWNER_ROLE)
    assert fn.proconfig == ["search_path=public, pg_temp"]
    engine = create_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE agency_role (agency_id bigint, role varchar, user_id bigint)"))
        conn.execute(text("INSERT INTO pg_temp.agency_role VALUES (999, 'owner', :u)"), {"u": mia.id})
        rows = conn.execute(text("SELECT agency_id, role FROM user_memberships(:u)"), {"u": mia.id}).all()
        assert [tuple(r) for r in rows] == [(a.id, "manager")]
    engine.dispose()
    system = create_engine(settings.system_database_url)
    with system.connect() as conn, pytest.raises(DBAPIError, match="permission denied"):
        conn.execute(text("SELECT * FROM user_memberships(1)"))
    system.dispose()


def _roles(*names: str):
    return [f"communa_test_{n}_{secrets.token_hex(3)}" for n in names]


def test_the_grant_step_refuses_a_system_role_the_app_role_can_act_as(settings):
    """SYSTEM_DATABASE_URL naming the app role, or a role the app role is a member of, would give the app role
    every row again: `communa db upgrade` refuses before granting anything."""
    def with_users(app: str, system: str) -> Settings:
        url = make_url(settings.database_url)
        return Settings.from_env(database_url=url.set(username=app).render_as_string(hide_password=False),
                                 migrations_database_url=settings.migrations_database_url,
                                 system_database_url=url.set(username=system).render_as_string(hide_password=False),
                                 redis_url=settings.redis_url, secret_key=settings.secret_key)

    app_user = make_url(settings.database_url).username
    with pytest.raises(RuntimeError, match="app role"):
        grant_system_role(with_users(app_user, app_user))
    app, system = _roles("app", "sys")
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {system} NOLOGIN")
        admin.execute(f"CREATE ROLE {app} NOLOGIN IN ROLE {system}")
        try:
            with pytest.raises(RuntimeError, match="member of the system role"):
                grant_system_role(with_users(app, system))
            with pytest.raises(RuntimeError, match="does not exist"):
                grant_system_role(with_users(app_user, system + "_gone"))
        finally:
            admin.execute(f"DROP ROLE {app}")
            admin.execute(f"DROP ROLE {system}")


def test_the_grant_step_follows_the_system_role_the_deployment_names(settings, owner_engine):
    """The role comes from SYSTEM_DATABASE_URL, not from a migration: naming another one moves every system
    policy to it (and off the previous one)."""
    (other,) = _roles("sys")
    url = make_url(settings.system_database_url).set(username=other).render_as_string(hide_password=False)
    test_db = ADMIN_URL.rsplit("/", 1)[0] + "/" + make_url(settings.database_url).database
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {other} NOLOGIN")
    try:
        grant_system_role(Settings.from_env(database_url=settings.database_url, system_database_url=url,
                                            migrations_database_url=settings.migrations_database_url,
                                            redis_url=settings.redis_url, secret_key=settings.secret_key))
        with owner_engine.connect() as conn:
            assert {tuple(r) for _t, r in conn.execute(text(rls.system_policies_sql()))} == {(other,)}
    finally:
        grant_system_role(settings)
        with psycopg.connect(test_db, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {other}")
            admin.execute(f"DROP ROLE {other}")
    with owner_engine.connect() as conn:
        assert {tuple(r) for _t, r in conn.execute(text(rls.system_policies_sql()))} == {(SYSTEM_ROLE,)}
