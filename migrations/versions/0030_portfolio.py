"""white label

Revision ID: 0030
Revises: 0027

`brand`: an agency's white label (org_id NULL) and each organisation's override of it (logo bytes served by a
secret token, colour, mail sender name, report footer, report language); outbox_mail.sender_name, the name a
mail is sent under.
"""
import sqlalchemy as sa
from alembic import op

from tenants.core import rls

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox_mail", sa.Column("sender_name", sa.String(120), nullable=True))
    op.create_table(
        "brand",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("agency_id", sa.BigInteger(), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=True),
        sa.Column("colour", sa.String(7), nullable=True),
        sa.Column("sender_name", sa.String(120), nullable=True),
        sa.Column("footer", sa.String(500), nullable=True),
        sa.Column("language", sa.String(2), nullable=True),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_type", sa.String(16), nullable=True),
        sa.Column("logo_token", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name="fk_brand_agency_id_agency", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"], name="fk_brand_org_id_organisation",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_brand"),
        sa.UniqueConstraint("logo_token", name="uq_brand_logo_token"),
    )
    op.create_index("ix_brand_agency_id", "brand", ["agency_id"])
    op.create_index("uq_brand_agency", "brand", ["agency_id"], unique=True, postgresql_where=sa.text("org_id IS NULL"))
    op.create_index("uq_brand_org", "brand", ["org_id"], unique=True, postgresql_where=sa.text("org_id IS NOT NULL"))
    rls.enable(op, "brand")


def downgrade() -> None:
    op.drop_table("brand")
    op.drop_column("outbox_mail", "sender_name")
