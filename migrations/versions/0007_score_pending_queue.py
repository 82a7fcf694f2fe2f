"""score_pending as a lean queue

Revision ID: 0007
Revises: 0006

Every ingest batch writes a few thousand (member, day) rows here in the activity's transaction. Each
foreign key cost a row lock on the agency, organisation and member per row (2 of the 12 s of a 100,000
activity ingest), and the agency and organisation indexes a further two index entries per row. The queue
keeps no foreign keys (like member_day and member_month; the scoring job joins member, so a row of a
member that is gone does nothing) and one index: the primary key (org_id, member_id, day), which the
drain's `WHERE org_id = … ORDER BY member_id, day` reads in order. RLS stays on.
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('score_pending', schema=None) as batch_op:
        batch_op.drop_index('ix_score_pending_agency_id')
        batch_op.drop_index('ix_score_pending_org_id')
        batch_op.drop_constraint('fk_score_pending_agency_id_agency', type_='foreignkey')
        batch_op.drop_constraint('fk_score_pending_member_id_member', type_='foreignkey')
        batch_op.drop_constraint('fk_score_pending_org_id_organisation', type_='foreignkey')
        batch_op.drop_constraint('pk_score_pending', type_='primary')
        batch_op.create_primary_key('pk_score_pending', ['org_id', 'member_id', 'day'])


def downgrade() -> None:
    with op.batch_alter_table('score_pending', schema=None) as batch_op:
        batch_op.drop_constraint('pk_score_pending', type_='primary')
        batch_op.create_primary_key('pk_score_pending', ['member_id', 'day'])
        batch_op.create_foreign_key('fk_score_pending_agency_id_agency', 'agency', ['agency_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_foreign_key('fk_score_pending_member_id_member', 'member', ['member_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_foreign_key('fk_score_pending_org_id_organisation', 'organisation', ['org_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_index('ix_score_pending_agency_id', ['agency_id'], unique=False)
        batch_op.create_index('ix_score_pending_org_id', ['org_id'], unique=False)
