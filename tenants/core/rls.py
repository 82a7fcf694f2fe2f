"""Row-level security DDL, used by migrations for every table that carries agency_id, and by the grant step
for the system role.

Two permissive policies per tenant table, OR'd by PostgreSQL:
* `tenant_isolation` (every role): the rows of the agency in `app.agency_id`, and nothing without one.
* `system_access` (the system role only, created by `communa db upgrade` from SYSTEM_DATABASE_URL's user,
  since deployments name their roles): every row. The app role is not that role and cannot become it, so no
  setting or statement of its own widens what it sees.
"""
from __future__ import annotations

POLICY = "tenant_isolation"
SYSTEM_POLICY = "system_access"
# The setting is read in a sub-select: PostgreSQL evaluates it once per query (an InitPlan), not once per row.
# Written bare, current_setting() ran for every row scanned: a third of a 1M-row aggregate (bench/scoring.py).
PREDICATE = "(agency_id = (SELECT NULLIF(current_setting('app.agency_id', true), '')::bigint))"


def enable_sql(table: str) -> list[str]:
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
        f'CREATE POLICY {POLICY} ON "{table}" USING {PREDICATE} WITH CHECK {PREDICATE}',
    ]


def tables_sql() -> str:
    """The tables that carry this project's policy."""
    return f"SELECT tablename FROM pg_policies WHERE schemaname = current_schema() AND policyname = '{POLICY}'"


def alter_sql(table: str, predicate: str = PREDICATE) -> str:
    return f'ALTER POLICY {POLICY} ON "{table}" USING {predicate} WITH CHECK {predicate}'


def system_policies_sql() -> str:
    """Each tenant table with the roles its system policy names now (NULL where it has none)."""
    return ("SELECT t.tablename, p.roles FROM pg_policies t LEFT JOIN pg_policies p ON p.schemaname = t.schemaname "
            f"AND p.tablename = t.tablename AND p.policyname = '{SYSTEM_POLICY}' "
            f"WHERE t.schemaname = current_schema() AND t.policyname = '{POLICY}'")


def system_policy_sql(table: str, role: str, exists: bool) -> str:
    """Create the system policy for the (quoted) role, or point the existing one at it."""
    if exists:
        return f'ALTER POLICY {SYSTEM_POLICY} ON "{table}" TO {role}'
    return f'CREATE POLICY {SYSTEM_POLICY} ON "{table}" TO {role} USING (true) WITH CHECK (true)'


def enable(op, table: str) -> None:
    """Call from a migration after creating a tenant table."""
    for statement in enable_sql(table):
        op.execute(statement)
