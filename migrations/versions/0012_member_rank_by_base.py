"""Members ranked by score_base; room on member pages for the daily rewrite

Revision ID: 0012
Revises: 0011

Every full recompute writes every member row: E decays each day, so `score` always changes. With `score`
indexed, each of those writes also inserted a new entry into each of the member table's ten indexes (a
non-HOT update), 200-270 ms of a one-second recompute at bench/scoring.py size S.

Ranking by score uses `score_base` instead: E = B * 2^(-(t - epoch)/h) with the same factor for every member
scored with one model version, so B orders members exactly as their current E does (better than the stored
E, which is as of each member's last scoring). B only changes when a member's activity does, so a recompute
that rewrites a row without touching an indexed column can update it in place (HOT), given room on the page:
fillfactor 50 leaves it (a table whose every row is rewritten daily settles at about half-empty pages
anyway). Existing pages take the new fillfactor as they are rewritten.
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_member_org_score_desc")
    op.execute("CREATE INDEX ix_member_org_base_desc ON member (org_id, score_base DESC NULLS LAST, id DESC)")
    op.execute("ALTER TABLE member SET (fillfactor = 50)")
def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_member_org_base_desc")
    op.execute("ALTER TABLE member RESET (fillfactor)")
    op.execute("CREATE INDEX ix_member_org_score_desc ON member (org_id, score DESC NULLS LAST, id DESC)")
