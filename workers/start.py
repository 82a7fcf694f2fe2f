"""Jobs a person starts from a page: the start is recorded in the audit log and the job queued, in one
commit; and a failed job started again. Imports tenants/, never web/."""
from __future__ import annotations

from sqlalchemy.orm import Session

from tenants.agency import jobs
from tenants.agency.jobs import AUDIT_EXPORT, IMPORT_KINDS, JobsUnavailable
from tenants.agency.models import JobRun
from tenants.community.imports.csvfile import FileError
from tenants.community.models import Upload
from tenants.core import audit
from tenants.core.audit import Actor

from . import enqueue
from .scoring import record_request


def start_import(session: Session, upload: Upload, kind: str, params: dict, actor: Actor) -> JobRun:
    """An import job (`kind`: CSV_IMPORT or TELEGRAM_IMPORT) of a stored upload. Commits."""
    run = _record_import(session, upload, kind, params, actor)
    jobs.commit(session)
    return run


def start_audit_export(session: Session, action: str | None, actor: Actor) -> JobRun:
    """The agency's audit log (or one action of it) as CSV. Commits."""
    audit.record(session, "export_started", actor, target="audit_log")
    return enqueue(session, AUDIT_EXPORT, params={"action": action}, created_by=actor.user_id)


def rerun(session: Session, failed: JobRun, actor: Actor) -> JobRun:
    """Start a failed run's work again: the same kind with the same parameters, through the path that started
    it (its audit entry; scoring's not-twice rule). Another click meanwhile gets the run this one started.
    Commits. Raises JobsUnavailable when no worker can be reached, FileError when an import's file is gone."""
    again = jobs.rerun_of(session, failed)
    if again is None:
        again = _record_again(session, failed, actor)
        jobs.link_rerun(session, failed, again)
    jobs.commit(session)
    return again


def _record_again(session: Session, failed: JobRun, actor: Actor) -> JobRun:
    params = dict(failed.params or {})
    if failed.kind in IMPORT_KINDS:
        upload = session.get(Upload, params.pop("upload_id", None) or 0)
        if upload is None:
            raise FileError("The uploaded file is no longer stored; upload it again.")
        return _record_import(session, upload, failed.kind, params, actor)
    if failed.kind == AUDIT_EXPORT:
        audit.record(session, "export_started", actor, target="audit_log")
    elif failed.org_id is not None and failed.kind in jobs.SCORING_KINDS:
        again = record_request(session, failed.kind, failed.org_id, actor)
        if again is None:
            raise JobsUnavailable(failed.kind)
        return again
    return jobs.record(session, failed.kind, failed.org_id, params, actor.user_id)


def _record_import(session: Session, upload: Upload, kind: str, params: dict, actor: Actor) -> JobRun:
    audit.record(session, "import_started", actor, target=upload.filename, kind=kind)
    return jobs.record(session, kind, upload.org_id, {"upload_id": upload.id, **params}, actor.user_id)
