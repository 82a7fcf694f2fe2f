"""Jobs a person starts from a page: the start is recorded in the audit log and the job queued, in one
commit. Imports tenants/, never web/."""
from __future__ import annotations

from sqlalchemy.orm import Session

from tenants.agency.jobs import AUDIT_EXPORT
from tenants.agency.models import JobRun
from tenants.community.models import Upload
from tenants.core import audit
from tenants.core.audit import Actor

from . import enqueue


def start_import(session: Session, upload: Upload, kind: str, params: dict, actor: Actor) -> JobRun:
    """An import job (`kind`: CSV_IMPORT or TELEGRAM_IMPORT) of a stored upload. Commits."""
    audit.record(session, "import_started", actor, target=upload.filename, kind=kind)
    return enqueue(session, kind, org_id=upload.org_id, params={"upload_id": upload.id, **params},
                   created_by=actor.user_id)


def start_audit_export(session: Session, action: str | None, actor: Actor) -> JobRun:
    """The agency's audit log (or one action of it) as CSV. Commits."""
    audit.record(session, "export_started", actor, target="audit_log")
    return enqueue(session, AUDIT_EXPORT, params={"action": action}, created_by=actor.user_id)
