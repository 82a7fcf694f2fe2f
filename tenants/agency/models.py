"""An agency's client organisations, access grants, invitations, API keys and background job runs."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
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
from sqlalchemy.orm import Mapped, mapped_column

from tenants.core.base import Base, BigId, OrgOwned, TenantOwned, utcnow
from tenants.core.ids import public_id


class Organisation(TenantOwned, Base):
    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("agency_id", "slug", name="uq_organisation_agency_slug"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]
    store_message_text: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Days an upload's bytes are kept once nothing is importing it (tenants.community.retention).
    upload_retention_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # The privacy notice the public event registration form asks consent to (events).
    privacy_url: Mapped[str] = mapped_column(String(500), default="", server_default="")

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class OrgAccess(TenantOwned, OrgOwned, Base):
    """A manager's assignment to an organisation, or a client's one organisation."""
    __tablename__ = "org_access"
    __table_args__ = (UniqueConstraint("org_id", "user_id", name="uq_org_access_org_user"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # manager | client
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invitation(TenantOwned, Base):
    __tablename__ = "invitation"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    org_ids: Mapped[list] = mapped_column(JSON, default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        expires = self.expires_at if self.expires_at.tzinfo else self.expires_at.replace(tzinfo=UTC)
        return "expired" if expires <= utcnow() else "pending"


class JobRun(TenantOwned, Base):
    __tablename__ = "job_run"
    # "Is a scoring run of this organisation waiting or running?" is asked on every ingest batch and page.
    __table_args__ = (Index("ix_job_run_org_kind_status", "org_id", "kind", "status"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    org_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("organisation.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(String(255))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)          # for operators: the exception and its traceback
    # For the reader, when the job failed on a DomainError: {"template": gettext msgid, "params": {...}}.
    failure: Mapped[dict | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]      # written by the running job (tenants.agency.jobs.HEARTBEAT)
    # The run started again from this failed one (tenants.agency.jobs.rerun_of): a second "Run again" joins it.
    rerun_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("job_run.id", ondelete="SET NULL"))

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


class JobFile(TenantOwned, Base):
    """A file a job produced (an export), downloadable by whoever may see the job."""
    __tablename__ = "job_file"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_run_id: Mapped[int] = mapped_column(BigId, ForeignKey("job_run.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(TenantOwned, OrgOwned, Base):
    """An organisation's API key. Only a hash is stored; the prefix identifies it in lists and logs."""
    __tablename__ = "api_key"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=public_id)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WhiteLabel(TenantOwned, Base):
    """White label: the agency's own (org_id NULL) or one organisation's override of it, where an empty field
    falls back to the agency's, then to Communa's (tenants.agency.branding). The logo's bytes are kept here and
    served only by `logo_token`, a secret that changes with every upload."""
    __tablename__ = "brand"
    __table_args__ = (Index("uq_brand_agency", "agency_id", unique=True, postgresql_where=text("org_id IS NULL")),
                      Index("uq_brand_org", "org_id", unique=True, postgresql_where=text("org_id IS NOT NULL")))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("organisation.id", ondelete="CASCADE"))
    colour: Mapped[str | None] = mapped_column(String(7))           # #rrggbb
    sender_name: Mapped[str | None] = mapped_column(String(120))
    footer: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str | None] = mapped_column(String(2))         # the reports' language: en | ru
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(String(16))       # image/png | image/jpeg
    logo_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
