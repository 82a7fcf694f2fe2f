"""Row-level security DDL, used by migrations for every table that carries agency_id."""
from __future__ import annotations

POLICY = "tenant_isolation"
# Each setting is read in a sub-select: PostgreSQL evaluates it once per query (an InitPlan), not once per row.
# Written bare, current_setting() ran for every row scanned: a third of a 1M-row aggregate (bench/scoring.py).
PREDICATE = ("(agency_id = (SELECT NULLIF(current_setting('app.agency_id', true), '')::bigint) "
             "OR (SELECT current_setting('app.system', true) = 'on'))")


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


def enable(op, table: str) -> None:
    """Call from a migration after creating a tenant table."""
    for statement in enable_sql(table):
        op.execute(statement)
