"""segments: rules, versions, static members, daily snapshots and moves; starter segments

Revision ID: 0023
Revises: 0022

A trigger on member keeps static segments true to the people in them: erasing a member takes them out, and
merging a member into another puts the survivor in every static segment the merged member was in.
Every existing organisation gets the starter segments (tenants/segments/starters.py) as they are defined here.
"""
import json
import secrets

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.core import rls

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _tenant(*columns, pk=None):
    return [sa.Column("agency_id", sa.BigInteger(), sa.ForeignKey("agency.id", ondelete="CASCADE"), nullable=False),
            sa.Column("org_id", sa.BigInteger(), sa.ForeignKey("organisation.id", ondelete="CASCADE"),
                      nullable=False), *columns]


def upgrade() -> None:
    op.create_table("segment", *_tenant(
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("public_id", sa.String(16), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("colour", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("rules", postgresql.JSONB()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("starter", sa.String(32)),
        sa.Column("created_by_id", sa.BigInteger(), sa.ForeignKey("user_account.id", ondelete="SET NULL")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False)))
    op.create_index("ix_segment_org_id", "segment", ["org_id"])
    op.create_index("ix_segment_agency_id", "segment", ["agency_id"])
    op.create_table("segment_version", *_tenant(
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("segment_id", sa.BigInteger(), sa.ForeignKey("segment.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rules", postgresql.JSONB()),
        sa.Column("created_by_id", sa.BigInteger(), sa.ForeignKey("user_account.id", ondelete="SET NULL")),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("segment_id", "version", name="uq_segment_version_segment_version")))
    for table in ("segment_member", "segment_state"):
        columns = [sa.Column("segment_id", sa.BigInteger(), sa.ForeignKey("segment.id", ondelete="CASCADE"),
                             primary_key=True),
                   sa.Column("member_id", sa.BigInteger(), sa.ForeignKey("member.id", ondelete="CASCADE"),
                             primary_key=True)]
        if table == "segment_member":
            columns.append(sa.Column("added_at", TS, nullable=False))
        op.create_table(table, *_tenant(*columns))
        op.create_index(f"ix_{table}_member", table, ["member_id"])
    op.create_table("segment_day", *_tenant(
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("segment_id", sa.BigInteger(), sa.ForeignKey("segment.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("entered", sa.Integer(), nullable=False),
        sa.Column("exited", sa.Integer(), nullable=False),
        sa.Column("avg_score", sa.Float()),
        sa.Column("avg_loyalty", sa.Float()),
        sa.Column("at_risk", sa.Integer(), nullable=False),
        sa.Column("stages", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("segment_id", "day", name="uq_segment_day_segment_day")))
    op.create_table("segment_move", *_tenant(
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("segment_id", sa.BigInteger(), sa.ForeignKey("segment.id", ondelete="CASCADE"), nullable=False),
        sa.Column("member_id", sa.BigInteger(), sa.ForeignKey("member.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("entered", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("conditions", postgresql.JSONB(), nullable=False)))
    op.create_index("ix_segment_move_segment_day", "segment_move", ["segment_id", "day"])
    op.create_index("ix_segment_move_member", "segment_move", ["member_id"])
    for table in ("segment", "segment_version", "segment_member", "segment_state", "segment_day", "segment_move"):
        if table not in ("segment",):
            op.create_index(f"ix_{table}_agency_id", table, ["agency_id"])
            op.create_index(f"ix_{table}_org_id", table, ["org_id"])
        rls.enable(op, table)
    op.execute(TRIGGER)
    _starters()


TRIGGER = """
CREATE FUNCTION segment_member_follows_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL THEN
        DELETE FROM segment_member WHERE member_id = NEW.id;
    END IF;
    IF NEW.merged_into_id IS NOT NULL AND OLD.merged_into_id IS DISTINCT FROM NEW.merged_into_id THEN
        INSERT INTO segment_member (agency_id, org_id, segment_id, member_id, added_at)
        SELECT agency_id, org_id, segment_id, NEW.merged_into_id, now() FROM segment_member
        WHERE member_id = NEW.id ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER member_segments AFTER UPDATE OF erased_at, merged_into_id ON member
    FOR EACH ROW EXECUTE FUNCTION segment_member_follows_member();
"""

STARTERS = [
    ("new_active", "New and active",
     "Joined in the last 30 days and already active: welcome them and show them around.", "#059669",
     {"all": [{"field": "first_seen", "op": "within_days", "value": 30},
              {"field": "activity", "op": "gte", "value": {"count": 1, "within_days": 14}}]}),
    ("slipping_away", "Slipping away", "Were active, quiet for 30 days: reach out before they leave.", "#ea580c",
     {"all": [{"field": "activity", "op": "gte", "value": {"count": 3, "within_days": 120}},
              {"field": "last_active", "op": "not_within_days", "value": 30}]}),
    ("silent_loyal", "Silent loyal", "Loyal, write little, read and react: give them easy ways to take part.",
     "#0891b2",
     {"all": [{"field": "stage", "op": "in", "value": ["loyal", "advocate"]},
              {"field": "activity", "op": "lt", "value": {"type": "message", "count": 3, "within_days": 90}},
              {"field": "activity", "op": "gte", "value": {"type": "reaction", "count": 5, "within_days": 90}}]}),
    ("advocates", "Advocates", "Recommend the brand: turn them into evangelists.", "#7c3aed",
     {"all": [{"field": "stage", "op": "eq", "value": "advocate"}]}),
    ("at_risk", "At risk", "Loyal members going quiet: contact them personally.", "#dc2626",
     {"all": [{"field": "at_risk", "op": "eq", "value": True}]}),
]


def _starters() -> None:
    conn = op.get_bind()
    for (agency_id,) in conn.execute(sa.text("SELECT id FROM agency")).all():
        conn.execute(sa.text("SELECT set_config('app.agency_id', :a, true)"), {"a": str(agency_id)})
        for (org_id,) in conn.execute(sa.text("SELECT id FROM organisation WHERE agency_id = :a"),
                                      {"a": agency_id}).all():
            for code, name, description, colour, tree in STARTERS:
                segment_id = conn.execute(sa.text(
                    "INSERT INTO segment (agency_id, org_id, public_id, name, description, colour, kind, rules, "
                    "version, starter, created_at, updated_at) VALUES (:a, :o, :p, :n, :d, :c, 'dynamic', "
                    "CAST(:r AS jsonb), 1, :s, now(), now()) RETURNING id"),
                    {"a": agency_id, "o": org_id, "p": secrets.token_urlsafe(9), "n": name, "d": description,
                     "c": colour, "r": json.dumps(tree), "s": code}).scalar()
                conn.execute(sa.text(
                    "INSERT INTO segment_version (agency_id, org_id, segment_id, version, rules, created_at) "
                    "VALUES (:a, :o, :s, 1, CAST(:r AS jsonb), now())"),
                    {"a": agency_id, "o": org_id, "s": segment_id, "r": json.dumps(tree)})
    conn.execute(sa.text("SELECT set_config('app.agency_id', '', true)"))


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS member_segments ON member")
    op.execute("DROP FUNCTION IF EXISTS segment_member_follows_member()")
    for table in ("segment_move", "segment_day", "segment_state", "segment_member", "segment_version", "segment"):
        op.drop_table(table)
