"""translatable import error reasons

Revision ID: 0004
Revises: 0003

Rejected import rows keep the English reason (downloads, API) and now also its gettext template and
parameters, so the result page shows the reason in the reader's language.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_error", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_template", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("reason_params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_error", schema=None) as batch_op:
        batch_op.drop_column("reason_params")
        batch_op.drop_column("reason_template")
