"""reports

Revision ID: 0029
Revises: 0027

Client loyalty reports (tenants/reports/): the frozen report versions, their share links and the segments an
organisation's reports show.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.core import rls

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

TABLES = ("report", "share_link", "report_segment")
NOW = sa.DateTime(timezone=True)


def _tenant(table: str) -> list:
    return [sa.Column("agency_id", sa.BigInteger(), nullable=False),
            sa.Column("org_id", sa.BigInteger(), nullable=False),
            sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=f"fk_{table}_agency_id_agency",
                                    ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["org_id"], ["organisation.id"], name=f"fk_{table}_org_id_organisation",
                                    ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id", name=f"pk_{table}")]


def _ref(table: str, column: str, target: str, ondelete: str = "CASCADE", nullable: bool = False) -> list:
    return [sa.Column(column, sa.BigInteger(), nullable=nullable),
            sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}",
                                    ondelete=ondelete)]


def upgrade() -> None:
    op.create_table(
        "report", sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("public_id", sa.String(16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False), sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("monthly", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("version", sa.Integer(), nullable=False), sa.Column("status", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False, server_default="en"),
        sa.Column("figures", postgresql.JSON(), nullable=False), sa.Column("sections", postgresql.JSON(), nullable=False),
        sa.Column("notes", postgresql.JSON(), nullable=False),
        sa.Column("generated_at", NOW, nullable=False),
        *_ref("report", "generated_by_id", "user_account", "SET NULL", True),
        *_ref("report", "approved_by_id", "user_account", "SET NULL", True),
        sa.Column("approved_at", NOW, nullable=True),
        *_ref("report", "published_by_id", "user_account", "SET NULL", True),
        sa.Column("published_at", NOW, nullable=True), *_tenant("report"),
        sa.UniqueConstraint("public_id", name="uq_report_public_id"),
        sa.UniqueConstraint("org_id", "period_start", "period_end", "version", name="uq_report_org_period_version"))
    op.create_index("ix_report_agency_id", "report", ["agency_id"])
    op.create_index("ix_report_org_id", "report", ["org_id"])
    op.create_index("ix_report_org_status", "report", ["org_id", "status"])
    op.create_table(
        "share_link", sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("public_id", sa.String(16), nullable=False), *_ref("share_link", "report_id", "report"),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("show_names", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("expires_at", NOW, nullable=True), sa.Column("revoked_at", NOW, nullable=True),
        sa.Column("views", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_viewed_at", NOW, nullable=True),
        *_ref("share_link", "created_by_id", "user_account", "SET NULL", True),
        sa.Column("created_at", NOW, nullable=False), sa.Column("label", sa.Text(), nullable=False, server_default=""),
        *_tenant("share_link"),
        sa.UniqueConstraint("public_id", name="uq_share_link_public_id"),
        sa.UniqueConstraint("token_hash", name="uq_share_link_token_hash"))
    op.create_index("ix_share_link_agency_id", "share_link", ["agency_id"])
    op.create_index("ix_share_link_org_id", "share_link", ["org_id"])
    op.create_index("ix_share_link_report_id", "share_link", ["report_id"])
    op.create_table(
        "report_segment", sa.Column("id", sa.BigInteger(), nullable=False),
        *_ref("report_segment", "segment_id", "segment"), sa.Column("created_at", NOW, nullable=False),
        *_tenant("report_segment"),
        sa.UniqueConstraint("org_id", "segment_id", name="uq_report_segment_org_segment"))
    op.create_index("ix_report_segment_agency_id", "report_segment", ["agency_id"])
    op.create_index("ix_report_segment_org_id", "report_segment", ["org_id"])
    for table in TABLES:
        rls.enable(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
