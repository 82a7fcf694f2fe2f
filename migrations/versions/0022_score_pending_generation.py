"""score_pending rows carry the writing transaction (gen)

Revision ID: 0022
Revises: 0021

A queue row names the transaction that wrote it (gen, its 64-bit transaction id), and the primary key is
(org_id, member_id, day, gen). A batch that touches a member day already queued by an earlier, committed
transaction adds its own row instead of merging into that one: a scoring run that has claimed the earlier row
deletes only what it claimed, so the later batch's row survives and its activity is scored by the next run.
Rows of one transaction still merge (ON CONFLICT DO NOTHING), which keeps a batch's rows distinct.
"""
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

GEN = "CAST(CAST(pg_current_xact_id() AS text) AS bigint)"


def upgrade() -> None:
    op.execute(f"ALTER TABLE score_pending ADD COLUMN gen bigint NOT NULL DEFAULT {GEN}")
    op.execute("ALTER TABLE score_pending DROP CONSTRAINT pk_score_pending")
    op.execute("ALTER TABLE score_pending ADD CONSTRAINT pk_score_pending PRIMARY KEY (org_id, member_id, day, gen)")


def downgrade() -> None:
    op.execute("DELETE FROM score_pending p USING score_pending q WHERE q.org_id = p.org_id "
               "AND q.member_id = p.member_id AND q.day = p.day AND q.gen < p.gen")
    op.execute("ALTER TABLE score_pending DROP CONSTRAINT pk_score_pending")
    op.execute("ALTER TABLE score_pending DROP COLUMN gen")
    op.execute("ALTER TABLE score_pending ADD CONSTRAINT pk_score_pending PRIMARY KEY (org_id, member_id, day)")
