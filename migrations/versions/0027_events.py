"""events

Revision ID: 0027
Revises: 0026

Events with their series, hosts and speakers, registrations (check-in and survey answer on the same row) and
the registration log (tenants/events/); organisation.privacy_url, the notice the public registration form asks
consent to; outbox_mail.html and .images, an HTML alternative with inline images (a ticket's QR code).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.core import rls

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

TABLES = ("event_series", "event", "event_role", "registration", "registration_log")
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
    op.add_column("organisation", sa.Column("privacy_url", sa.String(500), nullable=False, server_default=""))
    op.add_column("outbox_mail", sa.Column("html", sa.Text(), nullable=True))
    op.add_column("outbox_mail", sa.Column("images", postgresql.JSONB(), nullable=True))
    op.create_table(
        "event_series", sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False), sa.Column("created_at", NOW, nullable=False),
        *_tenant("event_series"), sa.UniqueConstraint("org_id", "name", name="uq_event_series_org_name"))
    op.create_table(
        "event", sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("public_id", sa.String(16), nullable=False), sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False), sa.Column("format", sa.String(16), nullable=False),
        sa.Column("starts_at", NOW, nullable=False), sa.Column("ends_at", NOW, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False), sa.Column("location", sa.String(300), nullable=False),
        sa.Column("url", sa.String(500), nullable=False), sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("promote_waitlist", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("tags", postgresql.JSONB(), nullable=False),
        sa.Column("registration_open", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("form_token", sa.String(64), nullable=False),
        sa.Column("form_fields", postgresql.JSONB(), nullable=False),
        sa.Column("source_id", sa.String(200), nullable=True), sa.Column("survey_sent_at", NOW, nullable=True),
        sa.Column("created_at", NOW, nullable=False), sa.Column("updated_at", NOW, nullable=False),
        *_ref("event", "series_id", "event_series", "SET NULL", True),
        *_ref("event", "created_by_id", "user_account", "SET NULL", True), *_tenant("event"),
        sa.UniqueConstraint("public_id", name="uq_event_public_id"),
        sa.UniqueConstraint("form_token", name="uq_event_form_token"))
    op.create_index("ix_event_org_starts", "event", ["org_id", "starts_at"])
    op.create_index("uq_event_org_source", "event", ["org_id", "source_id"], unique=True,
                    postgresql_where=sa.text("source_id IS NOT NULL"))
    op.create_table(
        "event_role", sa.Column("id", sa.BigInteger(), nullable=False), sa.Column("role", sa.String(16), nullable=False),
        *_ref("event_role", "event_id", "event"), *_ref("event_role", "member_id", "member"), *_tenant("event_role"),
        sa.UniqueConstraint("event_id", "member_id", "role", name="uq_event_role_event_member_role"))
    op.create_index("ix_event_role_event_id", "event_role", ["event_id"])
    op.create_index("ix_event_role_member", "event_role", ["member_id"])
    op.create_table(
        "registration", sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("public_id", sa.String(16), nullable=False), sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False), sa.Column("walk_in", sa.Boolean(), nullable=False),
        sa.Column("registered_at", NOW, nullable=False), sa.Column("cancelled_at", NOW, nullable=True),
        sa.Column("checked_in_at", NOW, nullable=True), sa.Column("ticket", sa.String(64), nullable=False),
        sa.Column("answers", postgresql.JSONB(), nullable=False), sa.Column("consent_at", NOW, nullable=True),
        sa.Column("source_id", sa.String(200), nullable=True),
        sa.Column("survey_token", sa.String(64), nullable=True), sa.Column("survey_sent_at", NOW, nullable=True),
        sa.Column("survey_score", sa.SmallInteger(), nullable=True), sa.Column("survey_comment", sa.Text(), nullable=True),
        sa.Column("survey_answered_at", NOW, nullable=True),
        *_ref("registration", "event_id", "event"), *_ref("registration", "member_id", "member"),
        *_tenant("registration"),
        sa.UniqueConstraint("public_id", name="uq_registration_public_id"),
        sa.UniqueConstraint("ticket", name="uq_registration_ticket"),
        sa.UniqueConstraint("survey_token", name="uq_registration_survey_token"),
        sa.UniqueConstraint("event_id", "member_id", name="uq_registration_event_member"),
        sa.CheckConstraint("survey_score BETWEEN 0 AND 10", name="ck_registration_survey_score"))
    op.create_index("ix_registration_member", "registration", ["member_id"])
    op.create_index("ix_registration_event_status", "registration", ["event_id", "status", "registered_at"])
    op.create_index("uq_registration_event_source", "registration", ["event_id", "source_id"], unique=True,
                    postgresql_where=sa.text("source_id IS NOT NULL"))
    op.create_table(
        "registration_log", sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(24), nullable=False), sa.Column("at", NOW, nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        *_ref("registration_log", "registration_id", "registration"), *_ref("registration_log", "event_id", "event"),
        *_ref("registration_log", "user_id", "user_account", "SET NULL", True), *_tenant("registration_log"))
    op.create_index("ix_registration_log_registration_id", "registration_log", ["registration_id"])
    op.create_index("ix_registration_log_event_id", "registration_log", ["event_id"])
    for table in TABLES:
        op.create_index(f"ix_{table}_agency_id", table, ["agency_id"])
        op.create_index(f"ix_{table}_org_id", table, ["org_id"])
        rls.enable(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    op.drop_column("outbox_mail", "images")
    op.drop_column("outbox_mail", "html")
    op.drop_column("organisation", "privacy_url")
