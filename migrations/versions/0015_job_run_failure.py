"""job_run.failure: why a job failed, in words a reader can be shown

Revision ID: 0015
Revises: 0014

`error` keeps the exception and its traceback for operators. A job that fails on a domain error (a file that
cannot be read, an invalid setting) also keeps that error's gettext template and parameters, so its page says
what went wrong in the reader's language; any other failure is shown as a generic message.
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("job_run", sa.Column("failure", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("job_run", "failure")
