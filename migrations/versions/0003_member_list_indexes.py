"""member list indexes for large communities

Revision ID: 0003
Revises: 0002

The member list sorts by last activity or score, newest first, members without either last; and
searches names, emails, phones and handles by substring. These indexes serve exactly those queries
(measured in bench/members.py).
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_member_org_last_active", table_name="member")
    op.create_index("ix_member_org_activity", "member", ["org_id", "activity_count", "id"])
    op.execute("CREATE INDEX ix_member_org_active_desc ON member (org_id, last_active_at DESC NULLS LAST, id DESC)")
    op.execute("CREATE INDEX ix_member_org_score_desc ON member (org_id, score DESC NULLS LAST, id DESC)")
    op.execute("CREATE INDEX ix_member_phone_trgm ON member USING gin (phone gin_trgm_ops)")
def downgrade() -> None:
    for index in ("ix_member_org_active_desc", "ix_member_org_score_desc", "ix_member_phone_trgm"):
        op.execute(f"DROP INDEX IF EXISTS {index}")
    op.drop_index("ix_member_org_activity", table_name="member")
    op.create_index("ix_member_org_last_active", "member", ["org_id", "last_active_at", "id"])
