"""System work goes through a role of its own: the app role's policies no longer read `app.system`

Revision ID: 0019
Revises: 0015

Every tenant policy let a row through when `app.system` was 'on', and any role may set a custom setting, so the
app role could lift its own tenant wall with one set_config(). The policies now compare agency_id with
`app.agency_id` and nothing else. Cross-tenant work connects as the system role (SYSTEM_DATABASE_URL), which
`communa db upgrade` gives a `system_access` policy on each tenant table (its name is the deployment's, so it is
not written here).

user_memberships(), read in the request's own transaction before any tenant is bound, becomes SECURITY DEFINER:
it runs as the schema owner (who owns it and whom the app role cannot become) and answers for one user id with
that user's agency, role and organisation ids, nothing else. FORCE ROW LEVEL SECURITY applies to the owner too,
so the owner gets a read-only policy on the two tables it reads. Only the app role may call it (granted by
`communa db upgrade`).
"""
import sqlalchemy as sa
from alembic import op

from tenants.core import rls

revision = "0019"
down_revision = "0015"
branch_labels = None
depends_on = None

WITH_SYSTEM = ("(agency_id = (SELECT NULLIF(current_setting('app.agency_id', true), '')::bigint) "
               "OR (SELECT current_setting('app.system', true) = 'on'))")
TENANT_ONLY = "(agency_id = (SELECT NULLIF(current_setting('app.agency_id', true), '')::bigint))"
DEFINER_POLICY = "membership_lookup"
MEMBERSHIP_TABLES = ("agency_role", "org_access")


def _alter(predicate: str) -> None:
    bind = op.get_bind()
    for (table,) in bind.execute(sa.text(rls.tables_sql())).all():
        op.execute(rls.alter_sql(table, predicate))


def upgrade() -> None:
    _alter(TENANT_ONLY)
    for table in MEMBERSHIP_TABLES:
        op.execute(f"CREATE POLICY {DEFINER_POLICY} ON {table} FOR SELECT TO CURRENT_USER USING (true)")
    op.execute("DROP FUNCTION user_memberships(bigint)")
    # The function keeps this search_path (FROM CURRENT): this schema, pg_temp last. A definer function must not
    # resolve names where its caller can create them (the caller's temporary tables would otherwise come first).
    bind = op.get_bind()
    was = bind.execute(sa.text("SELECT current_setting('search_path')")).scalar()
    bind.execute(sa.text("SELECT set_config('search_path', quote_ident(current_schema()) || ', pg_temp', true)"))
    op.execute("""
        CREATE FUNCTION user_memberships(p_user_id bigint)
        RETURNS TABLE (agency_id bigint, role varchar, org_id bigint)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
        AS $$
            SELECT r.agency_id, r.role, a.org_id
            FROM agency_role r
            LEFT JOIN org_access a ON a.user_id = r.user_id AND a.agency_id = r.agency_id
            WHERE r.user_id = p_user_id
        $$""")
    bind.execute(sa.text("SELECT set_config('search_path', :was, true)"), {"was": was})
    op.execute("REVOKE ALL ON FUNCTION user_memberships(bigint) FROM PUBLIC")


def downgrade() -> None:
    bind = op.get_bind()
    for (table,) in bind.execute(sa.text(rls.tables_sql())).all():
        op.execute(f'DROP POLICY IF EXISTS {rls.SYSTEM_POLICY} ON "{table}"')
    op.execute("DROP FUNCTION user_memberships(bigint)")
    op.execute("""
        CREATE FUNCTION user_memberships(p_user_id bigint)
        RETURNS TABLE (agency_id bigint, role varchar, org_id bigint)
        LANGUAGE plpgsql VOLATILE
        AS $$
        DECLARE
            was text := coalesce(current_setting('app.system', true), '');
        BEGIN
            PERFORM set_config('app.system', 'on', true);
            RETURN QUERY
                SELECT r.agency_id, r.role, a.org_id
                FROM agency_role r
                LEFT JOIN org_access a ON a.user_id = r.user_id AND a.agency_id = r.agency_id
                WHERE r.user_id = p_user_id;
            PERFORM set_config('app.system', was, true);
        END
        $$""")
    for table in MEMBERSHIP_TABLES:
        op.execute(f"DROP POLICY {DEFINER_POLICY} ON {table}")
    _alter(WITH_SYSTEM)
