"""The agency's audit log of security-relevant actions."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenants.core.models import AuditLog
from tenants.core.spreadsheet import safe_cell

ACTIONS = (
    "login", "login_failed", "logout", "password_changed", "password_reset",
    "agency_created", "org_created", "org_renamed", "org_archived", "org_restored",
    "invitation_sent", "invitation_revoked", "invitation_accepted",
    "role_changed", "user_removed", "export_started", "api_key_created", "api_key_revoked",
    "member_exported", "member_erased", "members_merged", "merge_undone", "import_started",
    "scoring_model_saved", "recompute_started",
    "segment_created", "segment_changed", "segment_deleted",
    "leader_added", "leader_updated", "leader_status_changed", "touchpoint_added", "leader_candidate_dismissed",
    "leader_candidate_restored", "leader_settings_saved",
    "event_created", "event_changed", "event_deleted", "event_registration_changed", "event_checkin_undone",
    "digest_changed",
    "goal_created", "goal_changed", "goal_targets_changed", "goal_closed", "goal_reopened", "goal_deleted",
    "report_generated", "report_notes_saved", "report_approved", "report_published", "report_segments_saved",
    "share_link_created", "share_link_revoked",
    "branding_saved", "branding_logo_changed",
)


@dataclass
class Actor:
    user_id: int | None = None
    email: str | None = None
    ip: str | None = None


def record(session: Session, action: str, actor: Actor, target: str | None = None,
           agency_id: int | None = None, **meta) -> AuditLog:
    """Add one entry in the current tenant (or, in a system scope, for `agency_id`); the caller commits it."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}: add it to ACTIONS")
    entry = AuditLog(agency_id=agency_id, action=action, actor_id=actor.user_id, actor_email=actor.email,
                     ip=actor.ip, target=target, meta=meta)
    session.add(entry)
    return entry


def query(action: str | None = None, before: datetime | None = None):
    stmt = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if before:
        stmt = stmt.where(AuditLog.at < before)
    return stmt


def page(session: Session, action: str | None, offset: int, limit: int = 50) -> tuple[list[AuditLog], int]:
    total = session.scalar(select(func.count()).select_from(query(action).order_by(None).subquery()))
    rows = session.scalars(query(action).offset(offset).limit(limit)).all()
    return list(rows), int(total or 0)


def export_csv(session: Session, action: str | None, progress: Callable[[int, str], None]) -> bytes:
    """The whole log (or one action) as CSV, in batches so progress can be shown."""
    total = session.scalar(select(func.count()).select_from(query(action).order_by(None).subquery())) or 0
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "action", "actor", "target", "ip", "details"])
    done, batch = 0, 2000
    last_at, last_id = None, None
    while True:
        stmt = query(action)
        if last_at is not None:
            stmt = stmt.where((AuditLog.at < last_at) | ((AuditLog.at == last_at) & (AuditLog.id < last_id)))
        rows = session.scalars(stmt.limit(batch)).all()
        if not rows:
            break
        for r in rows:
            details = "; ".join(f"{k}={v}" for k, v in sorted((r.meta or {}).items()))
            writer.writerow([r.at.isoformat(), r.action, safe_cell(r.actor_email), safe_cell(r.target),
                             safe_cell(r.ip), safe_cell(details)])
        done += len(rows)
        last_at, last_id = rows[-1].at, rows[-1].id
        progress(min(99, int(done * 100 / max(total, 1))), f"{done} / {total}")
    return ("\ufeff" + out.getvalue()).encode("utf-8")
