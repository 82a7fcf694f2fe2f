"""An organisation's community: members, identities, activity, notes, custom fields, merges, imports, and
the per-member rollups of activity (by day) and standing (by month)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.accounts.models import User
from tenants.core.base import Base, BigId, OrgOwned, TenantOwned, utcnow
from tenants.core.ids import public_id

CHANNELS = ("telegram", "vk", "email", "instagram", "discord", "offline", "website", "phone", "other")
ACTIVITY_TYPES = (
    "message", "reply", "reaction", "post", "share", "referral", "purchase", "review", "event_registration",
    "event_attendance", "survey_answer", "content_created", "join", "leave", "other",
)


# What a member is: a person (the default) or an organisation (a partner company, a media outlet).
MEMBER_KINDS = ("person", "organisation")

# Members no score counts: staff, bots, merged away, erased. Queries spell it exactly so, to use the partial
# index ix_member_org_unscored.
UNSCORED_MEMBER = "is_staff OR is_bot OR merged_into_id IS NOT NULL OR erased_at IS NOT NULL"


class Member(TenantOwned, OrgOwned, Base):
    """A person in an organisation's community. Does not log in."""
    __tablename__ = "member"
    __table_args__ = (
        # Sorting by last activity and by score (score_base) uses DESC NULLS LAST indexes made in migrations 0003
        # and 0012; the table has fillfactor 50 so the daily rewrite of every row can stay on its page (0012).
        # A member row is rewritten with each new score, with an entry in every index whose columns change
        # (score_base, counters): so no index of its own on agency_id or org_id (every (org_id, ...) index
        # serves the latter), and email and phone indexed only where present (migration 0013).
        Index("ix_member_org_activity", "org_id", "activity_count", "id"),
        Index("ix_member_org_name", "org_id", "sort_name", "id"),
        Index("ix_member_org_email", "org_id", "email", postgresql_where=text("email IS NOT NULL")),
        Index("ix_member_org_phone", "org_id", "phone", postgresql_where=text("phone IS NOT NULL")),
        # The members a scoring pass clears rather than scores (tenants.scoring.stages.unscored_sql): few, so partial.
        Index("ix_member_org_unscored", "org_id", postgresql_where=text(UNSCORED_MEMBER)),
        # Deleting a member looks up who was merged into it (ON DELETE SET NULL); few rows are, so partial.
        Index("ix_member_merged_into", "merged_into_id", postgresql_where=text("merged_into_id IS NOT NULL")),
    )
    agency_id: Mapped[int] = mapped_column(BigId, ForeignKey("agency.id", ondelete="CASCADE"), nullable=False)
    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisation.id", ondelete="CASCADE"), nullable=False)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), default="person", server_default="person")   # MEMBER_KINDS
    sort_name: Mapped[str] = mapped_column(String(200), default="")  # lower-cased display name, for sorting
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(120))
    attributes: Mapped[dict] = mapped_column(JSONB, default=dict)
    followers: Mapped[int | None] = mapped_column(Integer)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime | None]
    last_active_at: Mapped[datetime | None]
    activity_count: Mapped[int] = mapped_column(Integer, default=0)
    # Scoring (tenants/scoring/). `score` is the engagement score E as of `score_at`; `score_base` is the same
    # sum scaled to the model's epoch day, so new activity is simply added to it (closed-form decay).
    score: Mapped[float | None]
    score_at: Mapped[datetime | None]
    score_base: Mapped[float | None]
    score_version: Mapped[int | None] = mapped_column(Integer)
    loyalty_index: Mapped[float | None]
    stage: Mapped[str | None] = mapped_column(String(16))
    stage_since: Mapped[datetime | None]
    stage_below_since: Mapped[datetime | None]   # when the score fell below the stage's bar (demotion grace)
    at_risk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    influence: Mapped[float | None]               # percentile within the organisation, 0-100
    influence_raw: Mapped[float | None]
    merged_into_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("member.id", ondelete="SET NULL"))
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MemberSearch(TenantOwned, OrgOwned, Base):
    """A member's searchable text with its trigram indexes (migration 0008), kept by triggers on `member`: writes
    to a member row that leave the text alone (counters, scores) then touch no trigram index."""
    __tablename__ = "member_search"
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    sort_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    # duplicates.name_key(sort_name), and the sort_name it was computed from: a name changed since is keyed
    # again when duplicates are next looked for (migration 0025)
    name_key: Mapped[str | None] = mapped_column(Text)
    name_key_of: Mapped[str | None] = mapped_column(String(200))


class MemberTag(TenantOwned, OrgOwned, Base):
    __tablename__ = "member_tag"
    __table_args__ = (UniqueConstraint("member_id", "tag", name="uq_member_tag_member_tag"),
                      Index("ix_member_tag_org_tag", "org_id", "tag"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(64))


class Identity(TenantOwned, OrgOwned, Base):
    """One handle of a member on one channel."""
    __tablename__ = "identity"
    __table_args__ = (UniqueConstraint("org_id", "channel", "external_id", name="uq_identity_org_channel_ext"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(200))
    handle: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Activity(TenantOwned, OrgOwned, Base):
    """One thing a member did. `source_id` is unique per org, so re-sending is harmless."""
    __tablename__ = "activity"
    __table_args__ = (UniqueConstraint("org_id", "source_id", name="uq_activity_org_source"),
                      Index("ix_activity_member_time", "member_id", "occurred_at"),
                      Index("ix_activity_org_time", "org_id", "occurred_at"),
                      # NPS reads survey answers only: a small partial index instead of the whole period.
                      Index("ix_activity_org_survey", "org_id", "occurred_at",
                            postgresql_where=text("type = 'survey_answer'")),
                      # Influence reads only activities aimed at someone, from the index alone (migration 0011).
                      Index("ix_activity_org_targeted", "org_id", "occurred_at",
                            postgresql_include=["member_id", "target_member_id", "agency_id"],
                            postgresql_where=text("target_member_id IS NOT NULL")))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"))
    target_member_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("member.id", ondelete="SET NULL"),
                                                         index=True)
    type: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    weight: Mapped[float | None]
    source_id: Mapped[str] = mapped_column(String(200))
    meta: Mapped[dict] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MemberNote(TenantOwned, OrgOwned, Base):
    __tablename__ = "member_note"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[User | None] = relationship(lazy="joined")


class AttributeDef(TenantOwned, OrgOwned, Base):
    """A custom member attribute of one organisation: text, number, date or choice."""
    __tablename__ = "attribute_def"
    __table_args__ = (UniqueConstraint("org_id", "key", name="uq_attribute_def_org_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # text | number | date | choice
    choices: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class MemberMerge(TenantOwned, OrgOwned, Base):
    """A merge of one member into another, with what moved, so it can be undone."""
    __tablename__ = "member_merge"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    survivor_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"), index=True)
    merged_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"), index=True)
    moved: Mapped[dict] = mapped_column(JSONB, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None]


class MergeDismissal(TenantOwned, OrgOwned, Base):
    """A merge suggestion someone rejected: the pair is not suggested again."""
    __tablename__ = "merge_dismissal"
    __table_args__ = (UniqueConstraint("org_id", "member_a_id", "member_b_id", name="uq_merge_dismissal_pair"),
                      Index("ix_merge_dismissal_member_a", "member_a_id"),
                      Index("ix_merge_dismissal_member_b", "member_b_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_a_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"))
    member_b_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Upload(TenantOwned, OrgOwned, Base):
    """A file uploaded for import, kept in the database so any worker host can read it."""
    __tablename__ = "upload"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))  # csv | telegram
    size: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    purged_at: Mapped[datetime | None]      # the bytes are gone: retention passed, or they named an erased member


class ImportError_(TenantOwned, Base):
    """A rejected row of an import job, with its line number and reason."""
    __tablename__ = "import_error"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_run_id: Mapped[int] = mapped_column(BigId, ForeignKey("job_run.id", ondelete="CASCADE"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))  # English, for downloads
    reason_template: Mapped[str | None] = mapped_column(String(300))  # gettext msgid, for pages
    reason_params: Mapped[dict | None] = mapped_column(JSON)
    raw: Mapped[str | None] = mapped_column(Text)


class ScorePending(TenantOwned, OrgOwned, Base):
    """Member days whose rollup and score are out of date: written in the same transaction as the activity,
    drained by the incremental scoring job. day = -1 means the member's whole history (after a merge).
    A lean queue (migration 0007): no foreign keys, the primary key its only index. gen is the writing
    transaction's id (migration 0017): a member day queued again by a later transaction is a row of its own,
    which a run that claimed the earlier row leaves in place."""
    __tablename__ = "score_pending"
    agency_id: Mapped[int] = mapped_column(BigId, nullable=False)
    org_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    gen: Mapped[int] = mapped_column(BigInteger, primary_key=True,
                                     server_default=text("CAST(CAST(pg_current_xact_id() AS text) AS bigint)"))


# --- per-member rollups: written by scoring and metrics, filtered on by the member list ---------------

class MemberDay(TenantOwned, OrgOwned, Base):
    """Rollup: what one member did on one UTC day, per activity type. Weights are applied at scoring time,
    so a new scoring model needs no new rollup."""
    __tablename__ = "member_day"
    __table_args__ = (Index("ix_member_day_org_day", "org_id", "day"),
                      Index("ix_member_day_member_type_day", "member_id", "type", "day"))
    # Rebuilt wholesale by the full recompute, so every avoided per-row cost counts: agency and organisation
    # carry no foreign keys or indexes of their own (the member's key cascades and (org_id, day) serves reads).
    agency_id: Mapped[int] = mapped_column(BigId, nullable=False)
    org_id: Mapped[int] = mapped_column(BigId, nullable=False)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)       # days since 1970-01-01 UTC
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    n_custom: Mapped[int] = mapped_column(Integer)          # activities that carried their own weight
    w_custom: Mapped[float]                                  # and the sum of those weights
    promoters: Mapped[int] = mapped_column(Integer)          # survey answers scoring 9-10 (NPS)


class MemberMonth(TenantOwned, OrgOwned, Base):
    """Rollup: a member's loyalty stage at the end of a calendar month and whether they were active in it.
    Feeds stage distribution over time, the stage movement matrix and cohort retention. month = year * 12 +
    month - 1. Past months come from the stage history where it reaches back, else from the activity by the
    stage rules; the current month holds today's stage."""
    __tablename__ = "member_month"
    __table_args__ = (Index("ix_member_month_org_month", "org_id", "month"),)
    agency_id: Mapped[int] = mapped_column(BigId, nullable=False)     # no FKs: rewritten nightly, like member_day
    org_id: Mapped[int] = mapped_column(BigId, nullable=False)
    member_id: Mapped[int] = mapped_column(BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean)
