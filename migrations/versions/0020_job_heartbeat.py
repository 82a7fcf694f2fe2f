"""job_run.heartbeat_at and job_run.rerun_id: lost jobs are found within a minute and can be run again

Revision ID: 0020
Revises: 0019

A running job writes `heartbeat_at` every few seconds from a thread of the process running it; a run whose
heartbeat stopped (its worker host was killed) is failed as lost by the scheduler or by the page reading it.
`rerun_id` names the run started again from a failed one, so a second click on "Run again" joins it.
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("job_run", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("job_run", sa.Column("rerun_id", sa.BigInteger(),
                                       sa.ForeignKey("job_run.id", ondelete="SET NULL"), nullable=True))


def downgrade() -> None:
    op.drop_column("job_run", "rerun_id")
    op.drop_column("job_run", "heartbeat_at")
