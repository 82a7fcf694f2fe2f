"""opinion leaders

Revision ID: 0024
Revises: 0023

Leaders, their status history, touchpoints, suggested and dismissed candidates, the organisation's leader
settings (tenants/leaders/), and member.kind: a member is a person or an organisation (existing rows are
persons).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.core import rls

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

TABLES = ("leader", "leader_status_change", "touchpoint", "leader_candidate", "leader_dismissal", "leader_settings")


def _tenant(table: str) -> list:
    """agency_id and org_id with their keys and indexes, as every organisation's table has them."""
    return [sa.Column("agency_id", sa.BigInteger(), nullable=False),
            sa.Column("org_id", sa.BigInteger(), nullable=False),
            sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=f"fk_{table}_agency_id_agency",
                                    ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["org_id"], ["organisation.id"], name=f"fk_{table}_org_id_organisation",
                                    ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id", name=f"pk_{table}")]


def _member(table: str) -> list:
    return [sa.Column("member_id", sa.BigInteger(), nullable=False),
            sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=f"fk_{table}_member_id_member",
                                    ondelete="CASCADE")]


def _user(table: str, column: str) -> list:
    return [sa.Column(column, sa.BigInteger(), nullable=True),
            sa.ForeignKeyConstraint([column], ["user_account.id"], name=f"fk_{table}_{column}_user_account",
                                    ondelete="SET NULL")]


def _leader(table: str) -> list:
    return [sa.Column("leader_id", sa.BigInteger(), nullable=False),
            sa.ForeignKeyConstraint(["leader_id"], ["leader.id"], name=f"fk_{table}_leader_id_leader",
                                    ondelete="CASCADE")]


def upgrade() -> None:
    op.add_column("member", sa.Column("kind", sa.String(16), nullable=False, server_default="person"))
    now = sa.DateTime(timezone=True)
    op.create_table(
        "leader", sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("public_id", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False), sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("topics", postgresql.JSONB(), nullable=False),
        sa.Column("channels", postgresql.JSONB(), nullable=False),
        sa.Column("since", now, nullable=True), sa.Column("status_changed_at", now, nullable=False),
        sa.Column("created_at", now, nullable=False),
        *_member("leader"), *_user("leader", "owner_id"), *_user("leader", "created_by_id"), *_tenant("leader"),
        sa.UniqueConstraint("public_id", name="uq_leader_public_id"),
        sa.UniqueConstraint("org_id", "member_id", name="uq_leader_org_member"))
    op.create_index("ix_leader_member", "leader", ["member_id"])
    op.create_table(
        "leader_status_change", sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True), sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False), sa.Column("changed_at", now, nullable=False),
        *_leader("leader_status_change"), *_user("leader_status_change", "changed_by_id"),
        *_tenant("leader_status_change"))
    op.create_index("ix_leader_status_change_leader_id", "leader_status_change", ["leader_id"])
    op.create_table(
        "touchpoint", sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("public_id", sa.String(16), nullable=False), sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False), sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", now, nullable=False),
        *_leader("touchpoint"), *_user("touchpoint", "author_id"), *_tenant("touchpoint"),
        sa.UniqueConstraint("public_id", name="uq_touchpoint_public_id"))
    op.create_index("ix_touchpoint_leader_id", "touchpoint", ["leader_id"])
    op.create_table(
        "leader_candidate", sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False), sa.Column("influence", sa.Double(), nullable=False),
        sa.Column("answered_by", sa.Integer(), nullable=False), sa.Column("reached", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False), sa.Column("followers", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=True), sa.Column("computed_at", now, nullable=False),
        *_member("leader_candidate"), *_tenant("leader_candidate"),
        sa.UniqueConstraint("org_id", "member_id", name="uq_leader_candidate_org_member"))
    op.create_index("ix_leader_candidate_member", "leader_candidate", ["member_id"])
    op.create_table(
        "leader_dismissal", sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", now, nullable=False),
        *_member("leader_dismissal"), *_user("leader_dismissal", "dismissed_by_id"), *_tenant("leader_dismissal"),
        sa.UniqueConstraint("org_id", "member_id", name="uq_leader_dismissal_org_member"))
    op.create_index("ix_leader_dismissal_member", "leader_dismissal", ["member_id"])
    op.create_table(
        "leader_settings", sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("quiet_days", sa.Integer(), nullable=False),
        *_tenant("leader_settings"), sa.UniqueConstraint("org_id", name="uq_leader_settings_org_id"))
    for table in TABLES:
        op.create_index(f"ix_{table}_agency_id", table, ["agency_id"])
        op.create_index(f"ix_{table}_org_id", table, ["org_id"])
        rls.enable(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    op.drop_column("member", "kind")
