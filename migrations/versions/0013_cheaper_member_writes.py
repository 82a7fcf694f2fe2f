"""Cheaper scoring writes: member days by (member, type, day); fewer member index entries

Revision ID: 0013
Revises: 0012

"Advocate" needs an advocacy signal (a referral, share or created content, or an NPS promoter) in the last
180 days. The incremental step asks that of each touched member whose score reaches the advocate bar. By the
primary key (member_id, day, type) that read every member day of the 180 (a core member has ~1,400, each on
its own page): 1.2 ms a member, most of the step at bench/scoring.py size M. By (member_id, type, day) it reads
only the entries of the signalling types.

Each new score rewrites the member row, and since B and the counters are indexed, the rewrite adds an entry to
every index of the table (not a HOT update): 80 µs a member with eleven indexes. Two held nothing another index
did not: org_id alone (every (org_id, ...) index serves it) and agency_id alone (no query reads members by
agency without the organisation; deleting an agency, which the app never does, would scan the table once for
its foreign key).
Email and phone are looked up only by value, so only members with one need an entry.

The full and daily passes clear the scores of the organisation's unscored members (staff, bots, merged away,
erased): a few rows, found by a key probe per member until now (11-20 ms a run at size M); a partial index
holds just them.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


UNSCORED = "is_staff OR is_bot OR merged_into_id IS NOT NULL OR erased_at IS NOT NULL"


def upgrade() -> None:
    op.create_index("ix_member_day_member_type_day", "member_day", ["member_id", "type", "day"])
    op.create_index("ix_member_org_unscored", "member", ["org_id"], postgresql_where=sa.text(UNSCORED))
    op.drop_index("ix_member_org_id", "member")
    op.drop_index("ix_member_agency_id", "member")
    for column in ("email", "phone"):
        op.drop_index(f"ix_member_org_{column}", "member")
        op.create_index(f"ix_member_org_{column}", "member", ["org_id", column],
                        postgresql_where=sa.text(f"{column} IS NOT NULL"))


def downgrade() -> None:
    for column in ("email", "phone"):
        op.drop_index(f"ix_member_org_{column}", "member")
        op.create_index(f"ix_member_org_{column}", "member", ["org_id", column])
    op.create_index("ix_member_agency_id", "member", ["agency_id"])
    op.create_index("ix_member_org_id", "member", ["org_id"])
    op.drop_index("ix_member_org_unscored", "member")
    op.drop_index("ix_member_day_member_type_day", "member_day")
