"""A signed-in user's memberships in one call: user_memberships(user_id)

Revision ID: 0014
Revises: 0013

Every page first reads the user's agencies, roles and assigned organisations (the first wall and the agency
switcher). The rows live in tenant tables (agency_role, org_access), so the read ran as system work in a
session of its own: a second pooled connection, its ping, BEGIN, the RLS setting and COMMIT, about a sixth of
a cached dashboard request. This function answers the same question inside the request's own transaction:
it turns `app.system` on for its one query and back to what it was before returning (if the query fails, the
transaction or savepoint that failed takes the setting with it), so the request's transaction never holds the
system setting and binds to no tenant. (A `SET app.system = 'on'` clause on the function would say this
more simply, but PostgreSQL 15 lets only a superuser attach a custom setting to a function.)

It answers for one user id and nothing else. The app role could already enter system scope (that wall is
against our bugs, not a hostile app), so it widens nothing.
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION user_memberships(p_user_id bigint)
        RETURNS TABLE (agency_id bigint, role varchar, org_id bigint)
        LANGUAGE plpgsql VOLATILE  -- it changes a setting, if only for its own query
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


def downgrade() -> None:
    op.execute("DROP FUNCTION user_memberships(bigint)")
