"""goals

Revision ID: 0028
Revises: 0031

Goals of an organisation (a KPI of the registry, an optional segment, a baseline, targets with due dates, an
owner, a SMART description, a category, the outcome and note once closed) and their daily points
(tenants/goals/).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.core import rls

revision = "0028"
down_revision = "0031"
branch_labels = None
depends_on = None

TABLES = ("goal", "goal_point")
NOW = sa.DateTime(timezone=True)


def _tenant(table: str) -> list:
    return [sa.Column("agency_id", sa.BigInteger(), nullable=False),
            sa.Column("org_id", sa.BigInteger(), nullable=False),
            sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=f"fk_{table}_agency_id_agency",
                                    ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["org_id"], ["organisation.id"], name=f"fk_{table}_org_id_organisation",
                                    ondelete="CASCADE")]


def upgrade() -> None:
    op.create_table(
        "goal", sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("public_id", sa.String(16), nullable=False), sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False), sa.Column("category", sa.String(32), nullable=False),
        sa.Column("template", sa.String(48), nullable=True), sa.Column("kpi", sa.String(32), nullable=False),
        sa.Column("direction", sa.SmallInteger(), nullable=False),
        sa.Column("segment_id", sa.BigInteger(), nullable=True), sa.Column("segment_name", sa.String(120), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False), sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("baseline_on", sa.Date(), nullable=True), sa.Column("targets", postgresql.JSONB(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=True), sa.Column("closed_at", NOW, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True), sa.Column("close_note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", NOW, nullable=False), sa.Column("updated_at", NOW, nullable=False),
        sa.ForeignKeyConstraint(["segment_id"], ["segment.id"], name="fk_goal_segment_id_segment", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["owner_id"], ["user_account.id"], name="fk_goal_owner_id_user_account",
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"], name="fk_goal_created_by_id_user_account",
                                ondelete="SET NULL"),
        *_tenant("goal"), sa.PrimaryKeyConstraint("id", name="pk_goal"),
        sa.UniqueConstraint("public_id", name="uq_goal_public_id"))
    op.create_index("ix_goal_org_closed", "goal", ["org_id", "closed_at"])
    op.create_table(
        "goal_point", sa.Column("goal_id", sa.BigInteger(), nullable=False), sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"], name="fk_goal_point_goal_id_goal", ondelete="CASCADE"),
        *_tenant("goal_point"), sa.PrimaryKeyConstraint("goal_id", "day", name="pk_goal_point"))
    for table in TABLES:
        op.create_index(f"ix_{table}_agency_id", table, ["agency_id"])
        op.create_index(f"ix_{table}_org_id", table, ["org_id"])
        rls.enable(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
