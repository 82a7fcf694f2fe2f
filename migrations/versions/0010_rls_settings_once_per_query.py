"""Row-level security reads the tenant settings once per query

Revision ID: 0010
Revises: 0009

The policies compared agency_id with current_setting('app.agency_id') written bare, so PostgreSQL called
current_setting() (twice, with NULLIF and a cast) for every row it scanned: on a 1M-row aggregate of the
scoring job that was a third of the query. In a sub-select the setting becomes an InitPlan, evaluated once
per query and passed to parallel workers as a parameter. What the policies allow is unchanged.
"""
import sqlalchemy as sa
from alembic import op

from tenants.core import rls

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OLD = ("(agency_id = NULLIF(current_setting('app.agency_id', true), '')::bigint "
       "OR current_setting('app.system', true) = 'on')")
NEW = ("(agency_id = (SELECT NULLIF(current_setting('app.agency_id', true), '')::bigint) "
       "OR (SELECT current_setting('app.system', true) = 'on'))")


def _alter(predicate: str) -> None:
    bind = op.get_bind()
    for (table,) in bind.execute(sa.text(rls.tables_sql())).all():
        op.execute(rls.alter_sql(table, predicate))


def upgrade() -> None:
    _alter(NEW)


def downgrade() -> None:
    _alter(OLD)
