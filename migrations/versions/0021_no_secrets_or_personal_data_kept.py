"""Mails keep no usable link once sent; uploads go after the organisation's retention period

Revision ID: 0021
Revises: 0020

`outbox_mail.safe_body` is the mail with its secret link removed, kept beside `body` while the link is
usable (`secret_until`); delivery, or the link's expiry, replaces `body` with it. `upload.purged_at` marks an
upload whose bytes are gone (its retention period passed, or a member it named was erased);
`organisation.upload_retention_days` is that period.
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox_mail", sa.Column("safe_body", sa.Text(), nullable=True))
    op.add_column("outbox_mail", sa.Column("secret_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_outbox_mail_created_at", "outbox_mail", ["created_at"])
    op.add_column("upload", sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("organisation", sa.Column("upload_retention_days", sa.Integer(), nullable=False,
                                            server_default="30"))


def downgrade() -> None:
    op.drop_column("organisation", "upload_retention_days")
    op.drop_column("upload", "purged_at")
    op.drop_index("ix_outbox_mail_created_at", table_name="outbox_mail")
    op.drop_column("outbox_mail", "secret_until")
    op.drop_column("outbox_mail", "safe_body")
