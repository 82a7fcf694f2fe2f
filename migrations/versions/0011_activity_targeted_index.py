"""An index-only path to the last 90 days' replies, reactions and mentions (influence)

Revision ID: 0011
Revises: 0010

Influence counts, per member, who replied to, reacted to or mentioned them over 90 days. The scoring job read
those rows through (org_id, occurred_at) and then fetched each from the heap: at bench/scoring.py size S,
15,000 heap pages for 100,000 rows, 250-350 ms of a full recompute. This partial index carries every column
the query and the row policy read, so it is answered from the index alone (20 ms). Only activities aimed at
another member are in it.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_activity_org_targeted', 'activity', ['org_id', 'occurred_at'],
                    postgresql_include=['member_id', 'target_member_id', 'agency_id'],
                    postgresql_where=sa.text('target_member_id IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_activity_org_targeted', table_name='activity')
