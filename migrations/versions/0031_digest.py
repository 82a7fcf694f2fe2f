"""email digest

Revision ID: 0031
Revises: 0027

The email digest (tenants/digest/): per-organisation settings, the recipients with their unsubscribe tokens,
and the delivery log.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.core import rls

revision = "0031"
down_revision = "0027"
branch_labels = None
depends_on = None

TABLES = ("digest_settings", "digest_recipient", "digest_delivery")
NOW = sa.DateTime(timezone=True)


def _tenant(table: str) -> list:
    return [sa.Column("id", sa.BigInteger(), nullable=False),
            sa.Column("agency_id", sa.BigInteger(), nullable=False),
            sa.Column("org_id", sa.BigInteger(), nullable=False),
            sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=f"fk_{table}_agency_id_agency",
                                    ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["org_id"], ["organisation.id"], name=f"fk_{table}_org_id_organisation",
                                    ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id", name=f"pk_{table}")]


def upgrade() -> None:
    op.create_table(
        "digest_settings", sa.Column("weekly", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False), sa.Column("extra", postgresql.JSONB(), nullable=False),
        sa.Column("updated_at", NOW, nullable=False), *_tenant("digest_settings"),
        sa.UniqueConstraint("org_id", name="uq_digest_settings_org_id"))
    op.create_table(
        "digest_recipient", sa.Column("email", sa.String(254), nullable=False),
        sa.Column("token", sa.String(64), nullable=False), sa.Column("unsubscribed_at", NOW, nullable=True),
        *_tenant("digest_recipient"), sa.UniqueConstraint("org_id", "email", name="uq_digest_recipient_org_email"),
        sa.UniqueConstraint("token", name="uq_digest_recipient_token"))
    op.create_table(
        "digest_delivery", sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("email", sa.String(254), nullable=False), sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False), sa.Column("mail_id", sa.BigInteger(), nullable=True),
        sa.Column("at", NOW, nullable=False), *_tenant("digest_delivery"),
        sa.ForeignKeyConstraint(["mail_id"], ["outbox_mail.id"], name="fk_digest_delivery_mail_id_outbox_mail",
                                ondelete="SET NULL"))
    op.create_index("ix_digest_delivery_org_at", "digest_delivery", ["org_id", "at"])
    for table in TABLES:
        op.create_index(f"ix_{table}_agency_id", table, ["agency_id"])
        if table != "digest_settings":
            op.create_index(f"ix_{table}_org_id", table, ["org_id"])
        rls.enable(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
