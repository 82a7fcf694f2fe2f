"""The daily snapshot of a segment: its size, who entered and who left since the last snapshot (with the
rule's conditions as they held for each of them), and its averages. The segment_day row is the claim on the
day: a second run for the same day (two schedulers, a retried job) finds it taken and changes nothing."""
from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tenants.community.models import Member
from tenants.core.base import utcnow
from tenants.core.days import day_of
from tenants.segments import rules, service
from tenants.segments.models import Segment, SegmentDay, SegmentMove, SegmentState

MAX_EXPLAINED = 2000     # moves whose conditions are recorded per snapshot; the rest are counted only


def snapshot_org(session: Session, org_id: int, today: date | None = None) -> int:
    """Snapshot every segment of the organisation not yet counted today; answers how many were."""
    today = today or utcnow().date()
    done = 0
    for segment in service.of_org(session, org_id):
        if snapshot(session, segment, today):
            done += 1
    return done


def snapshot(session: Session, segment: Segment, today: date) -> bool:
    day = day_of(today)
    claimed = session.execute(insert(SegmentDay.__table__).values(
        agency_id=segment.agency_id, org_id=segment.org_id, segment_id=segment.id, day=day,
        version=segment.version, size=0, entered=0, exited=0, at_risk=0, stages={}, created_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["segment_id", "day"]).returning(SegmentDay.__table__.c.id)).scalar()
    if claimed is None:
        return False
    current = service.statement(session, segment, today).with_only_columns(Member.id).subquery()
    first = session.scalar(select(SegmentDay.id).where(SegmentDay.segment_id == segment.id, SegmentDay.day < day)
                           .limit(1)) is None
    state = select(SegmentState.member_id).where(SegmentState.segment_id == segment.id)
    entered = list(session.scalars(select(current.c.id).where(current.c.id.not_in(state))))
    exited = list(session.scalars(state.where(SegmentState.member_id.not_in(select(current.c.id)))))
    _record_moves(session, segment, day, entered, exited, today, first)
    _replace_state(session, segment, entered, exited)
    row = session.get(SegmentDay, claimed)
    row.entered, row.exited = (0, 0) if first else (len(entered), len(exited))
    _figures(session, row, current)
    return True


def _record_moves(session: Session, segment: Segment, day: int, entered: list[int], exited: list[int],
                  today: date, first: bool) -> None:
    if first:
        return
    moves = [(m, True) for m in entered] + [(m, False) for m in exited]
    explained = conditions(session, segment, [m for m, _ in moves[:MAX_EXPLAINED]], today)
    session.execute(insert(SegmentMove.__table__), [
        {"agency_id": segment.agency_id, "org_id": segment.org_id, "segment_id": segment.id, "member_id": m,
         "day": day, "entered": was_entered, "version": segment.version, "conditions": explained.get(m, {})}
        for m, was_entered in moves]) if moves else None


def conditions(session: Session, segment: Segment, member_ids: list[int], today: date) -> dict[int, dict]:
    """For each member, each condition of the segment's rule (by its path) and whether it holds for them."""
    if segment.kind != "dynamic" or not member_ids:
        return {}
    scope = service.scope(session, segment.org_id, today, seen=(segment.public_id,))
    try:
        tree = rules.check(segment.rules, scope)
    except rules.RuleError:
        return {}
    leaves = rules.leaves(tree)[:40]
    columns = [case((rules.compile_rule(leaf, scope), True), else_=False).label(f"c{i}")
               for i, leaf in enumerate(leaves)]
    out = {}
    for row in session.execute(select(Member.id, *columns).where(Member.id.in_(member_ids))):
        out[row[0]] = {leaf.path: bool(row[i + 1]) for i, leaf in enumerate(leaves)}
    return out


def _replace_state(session: Session, segment: Segment, entered: list[int], exited: list[int]) -> None:
    if exited:
        session.execute(SegmentState.__table__.delete().where(SegmentState.segment_id == segment.id,
                                                             SegmentState.member_id.in_(exited)))
    if entered:
        session.execute(insert(SegmentState.__table__).on_conflict_do_nothing(), [
            {"agency_id": segment.agency_id, "org_id": segment.org_id, "segment_id": segment.id, "member_id": m}
            for m in entered])


def _figures(session: Session, row: SegmentDay, current) -> None:
    figures = session.execute(select(func.count(), func.avg(Member.score), func.avg(Member.loyalty_index),
                                     func.count().filter(Member.at_risk.is_(True)))
                              .where(Member.id.in_(select(current.c.id)))).one()
    row.size, row.avg_score, row.avg_loyalty, row.at_risk = figures[0], figures[1], figures[2], figures[3]
    row.stages = {stage or "none": n for stage, n in session.execute(
        select(Member.stage, func.count()).where(Member.id.in_(select(current.c.id))).group_by(Member.stage))}
