"""When a whole-organisation pass (full recompute, daily pass) fails on the data: score the organisation member
by member instead, so that one member's data never stops the organisation's scoring.

The set-based passes guard against every stored value known to break them (sql.sane, the clamps); this is for
an error no guard foresaw. Everyone is queued whole and drained by the incremental step, which isolates the
members it fails for (incremental._apply_isolating); the organisation-wide part (influence, stages, at-risk)
then runs without them. Slower than the set-based pass, and only ever taken after it failed."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tenants.scoring.incremental import incremental
from tenants.scoring.influence import influence_table
from tenants.scoring.settings import current_model
from tenants.scoring.sql import work_mem
from tenants.scoring.stages import stage_members
from tenants.scoring.state import RunResult, data_error, touch

log = logging.getLogger("communa.scoring")


def isolating(session: Session, org_id: int, as_of: datetime, run: Callable[[], RunResult],
              progress: Callable | None = None) -> RunResult:
    """`run` in a savepoint; where it fails on the data, by_member. The caller holds the organisation's lock."""
    try:
        with session.begin_nested():
            return run()
    except DBAPIError as exc:
        if not data_error(exc):
            raise
        log.warning("scoring: organisation %s, the set-based pass failed on its data (%s): scoring member by member",
                    org_id, str(exc.orig).splitlines()[0] if exc.orig else exc)
    return by_member(session, org_id, as_of, progress or (lambda *_: None))


def by_member(session: Session, org_id: int, as_of: datetime, progress: Callable) -> RunResult:
    """Every member summed again from the activity through the incremental step (members it fails for are
    reported in `failed` and left as they were), then influence, stages and at-risk for the others."""
    session.execute(text("DELETE FROM score_pending WHERE org_id = :org"), {"org": org_id})
    session.execute(text("""
        INSERT INTO score_pending (agency_id, org_id, member_id, day)
        SELECT agency_id, org_id, id, -1 FROM member WHERE org_id = :org ON CONFLICT DO NOTHING"""), {"org": org_id})
    result = RunResult()
    while True:
        step = incremental(session, org_id, as_of)
        result.add(step)
        if not step.more:
            break
    progress(55, "influence")
    work_mem(session)
    model = current_model(session, org_id)
    result.version = model.version
    result.add_ignored(influence_table(session, org_id, as_of))
    progress(70, "stages")
    changes, result.members = stage_members(session, org_id, model, as_of, with_risk=True, influence=True,
                                            everyone=True, skip=result.failed)
    result.stage_changes += changes
    touch(session, org_id, scored_at=as_of, full_at=as_of, daily_at=as_of)
    return result
