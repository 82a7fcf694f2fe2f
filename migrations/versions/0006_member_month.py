"""member month rollup

Revision ID: 0006
Revises: 0005

A member's stage at each month's end and whether they were active in the month: the stage distribution over
time, the stage movement matrix and cohort retention read it (see tenants/metrics/rollups.py); a partial index on
survey answers for NPS.
"""
import sqlalchemy as sa
from alembic import op

from tenants.core import rls

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('member_month',
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('agency_id', sa.BigInteger(), nullable=False),
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_member_month_member_id_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'month', name=op.f('pk_member_month'))
    )
    with op.batch_alter_table('member_month', schema=None) as batch_op:
        batch_op.create_index('ix_member_month_org_month', ['org_id', 'month'], unique=False)
    rls.enable(op, 'member_month')
    op.create_index('ix_activity_org_survey', 'activity', ['org_id', 'occurred_at'],
                    postgresql_where=sa.text("type = 'survey_answer'"))


def downgrade() -> None:
    op.drop_index('ix_activity_org_survey', table_name='activity')
    with op.batch_alter_table('member_month', schema=None) as batch_op:
        batch_op.drop_index('ix_member_month_org_month')
    op.drop_table('member_month')
