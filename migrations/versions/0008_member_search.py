"""member_search: the searchable text of a member in a table of its own

Revision ID: 0008
Revises: 0007

The trigram indexes that make substring search fast sat on `member`, so every write to a member row (each
ingest batch's counters, each scoring run's scores: neither touches a name) added ten-odd trigram entries to
three GIN indexes: two thirds of the cost of those updates. Name, email and phone are copied into
`member_search` by triggers on `member` (after insert, and after an update that changes one of them), and
the trigram indexes live there, written only when the text really changes.
"""
import sqlalchemy as sa
from alembic import op

from tenants.core import rls

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BigId = sa.BigInteger()

PG_FUNCTIONS = """
CREATE FUNCTION member_search_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO member_search (member_id, agency_id, org_id, sort_name, email, phone)
    SELECT id, agency_id, org_id, sort_name, email, phone FROM added_members;
    RETURN NULL;
END $$;
CREATE FUNCTION member_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE member_search SET sort_name = NEW.sort_name, email = NEW.email, phone = NEW.phone
    WHERE member_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER member_search_added AFTER INSERT ON member REFERENCING NEW TABLE AS added_members
    FOR EACH STATEMENT EXECUTE FUNCTION member_search_added();
CREATE TRIGGER member_search_changed AFTER UPDATE OF sort_name, email, phone ON member FOR EACH ROW
    WHEN (OLD.sort_name IS DISTINCT FROM NEW.sort_name OR OLD.email IS DISTINCT FROM NEW.email
          OR OLD.phone IS DISTINCT FROM NEW.phone)
    EXECUTE FUNCTION member_search_changed();
"""


def upgrade() -> None:
    op.create_table('member_search',
    sa.Column('member_id', BigId, nullable=False),
    sa.Column('sort_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('agency_id', BigId, nullable=False),
    sa.Column('org_id', BigId, nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_member_search_agency_id_agency'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_member_search_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_member_search_org_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_search'))
    )
    with op.batch_alter_table('member_search', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_search_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_search_org_id'), ['org_id'], unique=False)
    rls.enable(op, 'member_search')
    op.execute("INSERT INTO member_search (member_id, agency_id, org_id, sort_name, email, phone) "
               "SELECT id, agency_id, org_id, sort_name, email, phone FROM member")
    op.execute(PG_FUNCTIONS)
    for index in ("ix_member_name_trgm", "ix_member_email_trgm", "ix_member_phone_trgm"):
        op.execute(f"DROP INDEX IF EXISTS {index}")
    for column in ("sort_name", "email", "phone"):
        op.execute(f"CREATE INDEX ix_member_search_{column}_trgm ON member_search "
                   f"USING gin ({column} gin_trgm_ops)")
def downgrade() -> None:
    op.execute("DROP TRIGGER member_search_added ON member")
    op.execute("DROP TRIGGER member_search_changed ON member")
    op.execute("DROP FUNCTION member_search_added(), member_search_changed()")
    op.execute("CREATE INDEX ix_member_name_trgm ON member USING gin (sort_name gin_trgm_ops)")
    op.execute("CREATE INDEX ix_member_email_trgm ON member USING gin (email gin_trgm_ops)")
    op.execute("CREATE INDEX ix_member_phone_trgm ON member USING gin (phone gin_trgm_ops)")
    op.drop_table('member_search')
