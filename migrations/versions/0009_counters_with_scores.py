"""Member counters kept by the scoring job; indexes for deleting members

Revision ID: 0009
Revises: 0008

Ingest no longer updates a member's activity_count, first_seen_at and last_active_at; the scoring job that
follows each batch does, from the member days it re-scores, in the same row update as the score. Member days
queued before this revision were already counted by ingest: re-scoring them as a delta would count them
twice, so their members are queued whole instead (the whole path sets the counters from the activity
itself).

Deleting a member (erasure, or a member created by a batch that lost a race) checked the foreign keys that
point at it: member.merged_into_id and merge_dismissal's two members had no index, so each deleted member
cost a scan of the organisation's members (seconds per import batch in bench/ingest.py).
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_member_merged_into', 'member', ['merged_into_id'],
                    postgresql_where=sa.text('merged_into_id IS NOT NULL'))
    op.create_index('ix_merge_dismissal_member_a', 'merge_dismissal', ['member_a_id'])
    op.create_index('ix_merge_dismissal_member_b', 'merge_dismissal', ['member_b_id'])
    op.execute("""
        INSERT INTO score_pending (agency_id, org_id, member_id, day)
        SELECT DISTINCT agency_id, org_id, member_id, -1 FROM score_pending WHERE day >= 0
        ON CONFLICT DO NOTHING""")
    op.execute("DELETE FROM score_pending WHERE day >= 0")


def downgrade() -> None:
    # Queued whole members are valid work for either version.
    op.drop_index('ix_merge_dismissal_member_b', 'merge_dismissal')
    op.drop_index('ix_merge_dismissal_member_a', 'merge_dismissal')
    op.drop_index('ix_member_merged_into', 'member')
