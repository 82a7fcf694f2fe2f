"""scoring and metrics

Revision ID: 0005
Revises: 0004

Versioned scoring models, the member-day rollup scoring reads, the queue of member days the incremental
scoring job still has to apply, stage history, per-organisation daily metrics, and the scoring columns on
member (see tenants/scoring/).
"""
import sqlalchemy as sa
from alembic import op

from tenants.core import rls

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('org_day',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('agency_id', sa.BigInteger(), nullable=False),
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_org_day_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_org_day_org_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_day')),
    sa.UniqueConstraint('org_id', 'day', name='uq_org_day_org_day')
    )
    with op.batch_alter_table('org_day', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_day_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_day_org_id'), ['org_id'], unique=False)

    op.create_table('org_score',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('full_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('daily_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('metrics_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('agency_id', sa.BigInteger(), nullable=False),
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_org_score_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_org_score_org_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_score')),
    sa.UniqueConstraint('org_id', name='uq_org_score_org_id')
    )
    with op.batch_alter_table('org_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_score_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_score_org_id'), ['org_id'], unique=False)

    op.create_table('scoring_model',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('epoch_day', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agency_id', sa.BigInteger(), nullable=False),
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_scoring_model_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_scoring_model_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_scoring_model_org_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_model')),
    sa.UniqueConstraint('org_id', 'version', name='uq_scoring_model_org_version')
    )
    with op.batch_alter_table('scoring_model', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scoring_model_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scoring_model_org_id'), ['org_id'], unique=False)

    op.create_table('member_day',
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('n_custom', sa.Integer(), nullable=False),
    sa.Column('w_custom', sa.Double(), nullable=False),
    sa.Column('promoters', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.BigInteger(), nullable=False),
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_member_day_member_id_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'day', 'type', name=op.f('pk_member_day'))
    )
    with op.batch_alter_table('member_day', schema=None) as batch_op:
        batch_op.create_index('ix_member_day_org_day', ['org_id', 'day'], unique=False)

    op.create_table('score_pending',
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.BigInteger(), nullable=False),
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_score_pending_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_score_pending_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_score_pending_org_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'day', name=op.f('pk_score_pending'))
    )
    with op.batch_alter_table('score_pending', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_pending_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_pending_org_id'), ['org_id'], unique=False)

    op.create_table('stage_change',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('from_stage', sa.String(length=16), nullable=True),
    sa.Column('to_stage', sa.String(length=16), nullable=True),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agency_id', sa.BigInteger(), nullable=False),
    sa.Column('org_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_stage_change_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_stage_change_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_stage_change_org_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_change'))
    )
    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_change_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index('ix_stage_change_member', ['member_id', 'changed_at'], unique=False)
        batch_op.create_index('ix_stage_change_org_at', ['org_id', 'changed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stage_change_org_id'), ['org_id'], unique=False)

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score_base', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('score_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('loyalty_index', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('stage_below_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('at_risk', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('influence', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('influence_raw', sa.Double(), nullable=True))

    op.create_index("ix_job_run_org_kind_status", "job_run", ["org_id", "kind", "status"])
    for table in ("org_day", "org_score", "scoring_model", "member_day", "score_pending", "stage_change"):
        rls.enable(op, table)


def downgrade() -> None:
    op.drop_index("ix_job_run_org_kind_status", table_name="job_run")
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('influence_raw')
        batch_op.drop_column('influence')
        batch_op.drop_column('at_risk')
        batch_op.drop_column('stage_below_since')
        batch_op.drop_column('loyalty_index')
        batch_op.drop_column('score_version')
        batch_op.drop_column('score_base')

    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_change_org_id'))
        batch_op.drop_index('ix_stage_change_org_at')
        batch_op.drop_index('ix_stage_change_member')
        batch_op.drop_index(batch_op.f('ix_stage_change_agency_id'))

    op.drop_table('stage_change')
    with op.batch_alter_table('score_pending', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_pending_org_id'))
        batch_op.drop_index(batch_op.f('ix_score_pending_agency_id'))

    op.drop_table('score_pending')
    with op.batch_alter_table('member_day', schema=None) as batch_op:
        batch_op.drop_index('ix_member_day_org_day')

    op.drop_table('member_day')
    with op.batch_alter_table('scoring_model', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scoring_model_org_id'))
        batch_op.drop_index(batch_op.f('ix_scoring_model_agency_id'))

    op.drop_table('scoring_model')
    with op.batch_alter_table('org_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_score_org_id'))
        batch_op.drop_index(batch_op.f('ix_org_score_agency_id'))

    op.drop_table('org_score')
    with op.batch_alter_table('org_day', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_day_org_id'))
        batch_op.drop_index(batch_op.f('ix_org_day_agency_id'))

    op.drop_table('org_day')
