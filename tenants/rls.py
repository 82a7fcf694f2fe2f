"""Row-level security DDL, used by migrations for every table that carries agency_id."""
from __future__ import annotations

POLICY = "tenant_isolation"
PREDICATE = ("(agency_id = NULLIF(current_setting('app.agency_id', true), '')::bigint "
             "OR current_setting('app.system', true) = 'on')")


def enable_sql(table: str) -> list[str]:
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
        f'CREATE POLICY {POLICY} ON "{table}" USING {PREDICATE} WITH CHECK {PREDICATE}',
    ]


def enable(op, table: str) -> None:
    """Call from a migration after creating a tenant table (no-op on SQLite)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in enable_sql(table):
        op.execute(statement)
