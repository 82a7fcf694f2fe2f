"""a leader row follows its member through a merge and back through an unmerge

Revision ID: 0026
Revises: 0025

Merging a duplicate that is an opinion leader into a member who is not moves the leader row (its status,
history and touchpoints) to the survivor; `leader.merged_from_id` remembers from whom, so undoing the merge
moves it back. When both are leaders the survivor's row stays and the merged member's row waits, hidden with
its member, until an unmerge. A trigger does it, like static segments (0023), because the community context
that merges members sits below the leaders context and does not know it.
"""
import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

TRIGGER = """
CREATE FUNCTION leader_follows_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.merged_into_id IS NOT NULL AND OLD.merged_into_id IS NULL THEN
        UPDATE leader SET member_id = NEW.merged_into_id, merged_from_id = NEW.id
        WHERE member_id = NEW.id
          AND NOT EXISTS (SELECT 1 FROM leader l WHERE l.member_id = NEW.merged_into_id);
    ELSIF NEW.merged_into_id IS NULL AND OLD.merged_into_id IS NOT NULL THEN
        UPDATE leader SET member_id = NEW.id, merged_from_id = NULL WHERE merged_from_id = NEW.id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER member_leader AFTER UPDATE OF merged_into_id ON member
    FOR EACH ROW EXECUTE FUNCTION leader_follows_member();
"""


def upgrade() -> None:
    op.add_column("leader", sa.Column("merged_from_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key("fk_leader_merged_from_id_member", "leader", "member", ["merged_from_id"], ["id"],
                          ondelete="SET NULL")
    op.create_index("ix_leader_merged_from_id", "leader", ["merged_from_id"],
                    postgresql_where=sa.text("merged_from_id IS NOT NULL"))
    op.execute(TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS member_leader ON member")
    op.execute("DROP FUNCTION IF EXISTS leader_follows_member()")
    op.drop_index("ix_leader_merged_from_id", table_name="leader")
    op.drop_constraint("fk_leader_merged_from_id_member", "leader", type_="foreignkey")
    op.drop_column("leader", "merged_from_id")
