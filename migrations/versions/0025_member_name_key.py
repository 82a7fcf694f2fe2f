"""member_search.name_key: the spelling-insensitive name key, stored, so duplicates are grouped in SQL

Revision ID: 0025
Revises: 0024

The duplicates page grouped every member of an organisation by `community.merge.name_key()` in Python on
each request (most of its time). The key (transliterated, spelling-folded, word-sorted) is now stored on
`member_search` with `name_key_of`, the `sort_name` it was computed from: a row whose name changed since
(the triggers of 0008 copy the new name, leaving the key behind) has `name_key_of IS DISTINCT FROM
sort_name` and is keyed again, by Python, through a partial index that holds only such rows. Grouping is a
`GROUP BY name_key` over an index of the keyed rows.
"""
import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("member_search", sa.Column("name_key", sa.Text(), nullable=True))
    op.add_column("member_search", sa.Column("name_key_of", sa.String(length=200), nullable=True))
    op.execute("CREATE INDEX ix_member_search_unkeyed ON member_search (org_id) "
               "WHERE name_key_of IS DISTINCT FROM sort_name")
    op.execute("CREATE INDEX ix_member_search_name_key ON member_search (org_id, name_key) "
               "WHERE name_key IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX ix_member_search_name_key")
    op.execute("DROP INDEX ix_member_search_unkeyed")
    op.drop_column("member_search", "name_key_of")
    op.drop_column("member_search", "name_key")
