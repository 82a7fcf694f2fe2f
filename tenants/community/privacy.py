"""Personal data outside the member's own rows: the uploaded files and the rows imports rejected.

Erasing a member (`profile.erase_member`) also removes them from every upload of the organisation (a CSV keeps
its other rows; a Telegram export that names them loses its bytes) and redacts every rejected row, job record
and reason that names them. Uploads themselves go after the organisation's retention period
(`purge_uploads`, nightly per agency): their bytes are deleted once nothing is importing them."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, func, literal, select, text, update
from sqlalchemy.orm import Session

from tenants.agency.jobs import IMPORT_KINDS
from tenants.agency.models import JobRun, Organisation
from tenants.community.imports import csvfile
from tenants.community.imports.csvfile import FileError
from tenants.community.models import Identity, ImportError_, Member, Upload
from tenants.core.base import utcnow

REDACTED = "[removed: it named an erased member]"
REMOVED_REASON = "Removed: the row named a member who was erased."    # a msgid (web/labels.py marks it)
MIN_SUBSTRING = 5        # shorter values are matched as whole cells only, not inside other text
PHONE_DIGITS = 10        # a phone matches on its last ten digits, whatever the punctuation around them


@dataclass(frozen=True)
class Traces:
    """What identifies a member in a file or a text, case-folded: names, email, phone digits, handles, ids."""
    values: frozenset[str]
    phones: frozenset[str]

    def in_cells(self, cells: Iterable[str]) -> bool:
        cells = [c.strip().casefold() for c in cells]
        return any(c in self.values for c in cells) or self.in_text(" ".join(cells))

    def maybe_in(self, text: str) -> bool:
        """A quick look at a whole file: False means no row of it can name the member."""
        text = text.casefold()
        if any(v in text for v in self.values):
            return True
        digits = re.sub(r"\D", "", text) if self.phones else ""
        return any(p in digits for p in self.phones)

    def in_text(self, text: str) -> bool:
        text = text.casefold()
        if any(len(v) >= MIN_SUBSTRING and v in text for v in self.values):
            return True
        digits = re.sub(r"\D", "", text)
        return any(p in digits for p in self.phones)


def traces_of(session: Session, member_ids: list[int]) -> Traces:
    """Read before the member's fields and identities are cleared."""
    values: set[str] = set()
    phones: set[str] = set()
    for m in session.scalars(select(Member).where(Member.id.in_(member_ids))):
        values.update(v for v in (m.display_name, m.email, m.phone) if v)
        if m.phone and len(re.sub(r"\D", "", m.phone)) >= PHONE_DIGITS:
            phones.add(re.sub(r"\D", "", m.phone)[-PHONE_DIGITS:])
    for external_id, handle in session.execute(select(Identity.external_id, Identity.handle)
                                               .where(Identity.member_id.in_(member_ids))):
        values.update(v for v in (external_id, handle) if v)
    return Traces(frozenset(v.strip().casefold() for v in values if v.strip()), frozenset(phones))


# Tables of the leaders context (above this one, so named, not imported) that hold a member: their rows go with
# an erased member; a leader's status history and touchpoints (with their notes) cascade from the leader row.
FORGET_LEADER = tuple(text(sql) for sql in (
    "DELETE FROM leader WHERE member_id = ANY(CAST(:ids AS bigint[]))",
    "DELETE FROM leader_candidate WHERE member_id = ANY(CAST(:ids AS bigint[]))",
    "DELETE FROM leader_dismissal WHERE member_id = ANY(CAST(:ids AS bigint[]))"))


def forget_leader(session: Session, member_ids: list[int]) -> None:
    """Delete the members' rows in the leaders context: the member row stays as a tombstone, so no cascade
    does it."""
    for statement in FORGET_LEADER:
        session.execute(statement, {"ids": list(member_ids)})


def scrub(session: Session, org_id: int, traces: Traces) -> dict[str, int]:
    """Remove an erased member from the organisation's uploads, rejected rows and import records."""
    if not traces.values and not traces.phones:
        return {"uploads": 0, "rejected_rows": 0, "job_runs": 0}
    return {"uploads": _scrub_uploads(session, org_id, traces),
            "rejected_rows": _scrub_rejected(session, org_id, traces),
            "job_runs": _scrub_runs(session, org_id, traces)}


def _scrub_uploads(session: Session, org_id: int, traces: Traces) -> int:
    changed = 0
    ids = session.scalars(select(Upload.id).where(Upload.org_id == org_id, Upload.purged_at.is_(None))).all()
    for upload_id in ids:                      # one file in memory at a time
        upload = session.get(Upload, upload_id)
        content = _without(upload, traces)
        if content is not None:
            upload.content, upload.size = content, len(content)
            if not content:
                upload.purged_at = utcnow()
            changed += 1
        session.flush()
        session.expunge(upload)
    return changed


def _without(upload: Upload, traces: Traces) -> bytes | None:
    """The upload's bytes without the member (b"" when it cannot be told apart), or None if it never names them."""
    if upload.kind != "csv":
        text = upload.content.decode("utf-8-sig", errors="replace")
        with contextlib.suppress(ValueError, RecursionError):      # JSON may spell letters as \\u escapes
            text += json.dumps(json.loads(text), ensure_ascii=False)
        return b"" if traces.in_text(text) else None
    try:
        if not traces.maybe_in(csvfile.decode(upload.content)[0]):
            return None
        sheet = csvfile.read(upload.content)
    except FileError:
        return b"" if traces.in_text(upload.content.decode("utf-8", errors="replace")) else None
    kept = [cells for _line, cells in sheet.rows if not traces.in_cells(cells)]
    if len(kept) == len(sheet.rows):
        return None
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sheet.delimiter)
    writer.writerow(sheet.header)
    writer.writerows(kept)
    return out.getvalue().encode(sheet.encoding, errors="replace")


def _scrub_rejected(session: Session, org_id: int, traces: Traces) -> int:
    runs = select(JobRun.id).where(JobRun.org_id == org_id)
    rows = session.execute(select(ImportError_.id, ImportError_.raw, ImportError_.reason, ImportError_.reason_params)
                           .where(ImportError_.job_run_id.in_(runs))).all()
    hits = [row_id for row_id, raw, reason, params in rows
            if traces.in_cells(_cells(raw)) or traces.in_text(f"{reason} {_text(params)}")]
    if hits:
        session.execute(update(ImportError_).where(ImportError_.id.in_(hits))
                        .values(raw=None, reason=REMOVED_REASON, reason_template=REMOVED_REASON, reason_params=None))
    return len(hits)


def _scrub_runs(session: Session, org_id: int, traces: Traces) -> int:
    """An import that stopped on a row of theirs may quote it in its error or message."""
    runs = session.execute(select(JobRun.id, JobRun.message, JobRun.error, JobRun.failure)
                           .where(JobRun.org_id == org_id)).all()
    hits = [run_id for run_id, message, error, failure in runs
            if traces.in_text(f"{message or ''} {error or ''} {_text(failure)}")]
    if hits:
        session.execute(update(JobRun).where(JobRun.id.in_(hits))
                        .values(message=None, error=REDACTED, failure=None))
    return len(hits)


def _cells(raw: str | None) -> list[str]:
    if not raw:
        return []
    try:
        return next(csv.reader(io.StringIO(raw)), []) + [raw]
    except csv.Error:
        return [raw]


def _text(value) -> str:
    return json.dumps(value, ensure_ascii=False) if value else ""


# --- retention ----------------------------------------------------------------------------------

def purge_uploads(session: Session, now: datetime | None = None) -> int:
    """Delete the bytes of the current tenant's uploads older than their organisation's retention period, unless
    an import of them is waiting or running. The row stays (name, size, when) for the import history."""
    now = now or utcnow()
    days = (select(Organisation.upload_retention_days).where(Organisation.id == Upload.org_id)
            .scalar_subquery())
    busy = select(JobRun.id).where(JobRun.kind.in_(IMPORT_KINDS), JobRun.status.in_(("queued", "running")),
                                   cast(JobRun.params["upload_id"].as_string(), String) == cast(Upload.id, String))
    result = session.execute(
        update(Upload)
        .where(Upload.purged_at.is_(None), Upload.created_at < literal(now) - func.make_interval(0, 0, 0, days),
               ~busy.exists())
        .values(content=b"", purged_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0

