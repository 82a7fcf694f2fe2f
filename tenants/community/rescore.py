"""The queue of member days whose scores are out of date (`score_pending`). Written in the same transaction as
the change that makes them stale (new activity, a merge, a staff flag), so no change is ever left unscored; the
scoring context drains it."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.core.context import require_agency_id


def mark_pending(session: Session, org_id: int, pairs: set[tuple[int, int]]) -> None:
    """Record member days that need re-scoring, in the caller's transaction (the activity's own)."""
    if not pairs:
        return
    agency_id = require_agency_id()
    rows = sorted(pairs)
    # The pairs as two arrays: one statement whatever their number.
    session.execute(text("""
        INSERT INTO score_pending (agency_id, org_id, member_id, day)
        SELECT :agency, :org, p.member_id, p.day
        FROM unnest(CAST(:members AS bigint[]), CAST(:days AS integer[])) AS p(member_id, day)
        ON CONFLICT DO NOTHING"""), {"agency": agency_id, "org": org_id, "members": [m for m, _ in rows],
                                     "days": [d for _, d in rows]})


def mark_members(session: Session, member_ids: set[int] | list[int]) -> None:
    """Whole histories to re-score (merge, unmerge, erase, staff or bot flag changed)."""
    ids = sorted(set(member_ids))
    if not ids:
        return
    session.execute(text("""
        INSERT INTO score_pending (agency_id, org_id, member_id, day)
        SELECT agency_id, org_id, id, -1 FROM member WHERE id = ANY(CAST(:ids AS bigint[]))
        ON CONFLICT DO NOTHING"""), {"ids": ids})
