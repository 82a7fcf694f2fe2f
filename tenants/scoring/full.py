"""The full recompute (scores straight from the activity table, the rollup checked and repaired) and the
nightly daily pass (stages follow decaying scores)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.core import sql
from tenants.core.base import utcnow
from tenants.core.context import require_agency_id
from tenants.core.days import day_number
from tenants.scoring import rules
from tenants.scoring.fallback import isolating
from tenants.scoring.influence import influence_table
from tenants.scoring.rules import ADVOCACY_DAYS, WEEKS_WINDOW
from tenants.scoring.settings import Model, current_model
from tenants.scoring.sql import (
    ELIGIBLE,
    analyze,
    contrib,
    growth,
    lock,
    rebuild_days_sql,
    sane,
    sane_params,
    temp,
    temp_as,
    weight_case,
    work_mem,
)
from tenants.scoring.stages import stage_members
from tenants.scoring.state import RunResult, touch


def full(session: Session, org_id: int, as_of: datetime | None = None, progress=None) -> RunResult:
    """Scores from the activity table itself, the rollup checked against it (and rebuilt where it disagrees),
    then stage, at-risk and influence. `progress(percent, message)` is called between steps.

    One pass over the organisation's activity gives each member's B and a checksum of the member_day rows those
    activities make; members whose rollup has another checksum get their member days rebuilt. The rollup is
    kept in step by ingest and the incremental path, so normally nothing is rewritten: rewriting ~500k rollup
    rows cost 8 s of a 9 s run (bench/scoring.py, size S)."""
    as_of = as_of or utcnow()
    progress = progress or (lambda *_: None)
    lock(session, org_id)
    return isolating(session, org_id, as_of, lambda: _full(session, org_id, as_of, progress), progress)


def _full(session: Session, org_id: int, as_of: datetime, progress) -> RunResult:
    work_mem(session)
    model = current_model(session, org_id)
    result = RunResult(version=model.version)
    # Pending work committed before this point is covered by this pass; anything later stays queued (and is
    # harmless twice: the incremental step rebuilds a day from the activity). No member rows are locked up
    # front: ingest writes none, and the member UPDATE at the end locks what it writes (locking the
    # organisation's members first cost 13-15 ms of a run at size M).
    session.execute(text("DELETE FROM score_pending WHERE org_id = :org"), {"org": org_id})
    today = day_number(as_of)
    params: dict = sane_params({"agency": require_agency_id(), "org": org_id, "today": today,
                                "weeks_from": today - WEEKS_WINDOW * 7, "adv_from": today - ADVOCACY_DAYS,
                                "risk_from": today - model.risk_days,
                                "epoch": model.epoch_day, "half_life": float(model.half_life_days)}, as_of)
    weight = f"coalesce(a.weight, {weight_case(model, params, 'a.type')})"
    # Nested CASE: only survey answers have their meta parsed (an AND may evaluate both sides, on every row).
    promoter = f"CASE WHEN a.type = 'survey_answer' THEN CASE WHEN {sql.nps('a.meta')} >= 9 THEN 1 END END"
    # The day once per activity: PostgreSQL computes a repeated expression again, and OFFSET 0 keeps it from
    # folding the sub-select back in (the UTC date of a timestamp is a sixth of this pass).
    # CREATE TABLE AS, not INSERT … SELECT: PostgreSQL scans in parallel only for the former.
    # Activities scoring does not count (sane) are counted apart (bad), their members reported; a member with
    # only such activities has a row of zeros.
    ok = "FILTER (WHERE a.ok)"
    temp_as(session, "score_bases", f"""
        SELECT a.member_id,
               coalesce(sum({weight} * {growth("a.day")}) {ok}, 0.0) AS base,
               count(*) {ok} AS n, count(a.weight) {ok} AS n_custom, coalesce(sum(a.weight) {ok}, 0.0) AS w_custom,
               coalesce(sum({promoter}) {ok}, 0) AS promoters, coalesce(sum(a.day) {ok}, 0) AS days,
               coalesce(sum({sql.type_code('a.type')}) {ok}, 0) AS kinds,
               min(a.occurred_at) {ok} AS first_at, max(a.occurred_at) {ok} AS last_at,
               count(*) FILTER (WHERE NOT a.ok) AS bad
        FROM (SELECT a.member_id, a.type, a.weight, a.meta, a.occurred_at, {sql.day("a.occurred_at")} AS day,
                     {sane()} AS ok
              FROM activity a WHERE a.org_id = :org {sql.FENCE}) a
        GROUP BY a.member_id""", params)
    result.ignored.extend(session.scalars(text("SELECT member_id FROM score_bases WHERE bad > 0 ORDER BY 1")))
    session.execute(text("DELETE FROM score_bases WHERE n = 0"))     # nothing counted: as a member without activity
    progress(35, "rollups")
    result.member_days = _repair_rollup(session, org_id, model, params)
    progress(55, "influence")
    result.add_ignored(influence_table(session, org_id, as_of))
    progress(70, "stages")
    result.stage_changes, result.members = stage_members(session, org_id, model, as_of, with_risk=True,
                                                         bases="full", influence=True, everyone=True)
    touch(session, org_id, scored_at=as_of, full_at=as_of, daily_at=as_of)
    return result


def _repair_rollup(session: Session, org_id: int, model: Model, params: dict) -> int:
    """Compare each member's member_day checksum with the one score_bases took from the activity; rebuild the
    member days of members that disagree. Leaves temp table score_rollup with each member's checksum and the
    recent figures the stage rules need (active weeks, advocacy, recent score), read from the checked rollup.
    Returns the member days written."""
    temp_as(session, "score_rollup", _rollup_sql(model, params, "d.org_id = :org"), params)
    analyze(session, "score_bases (member_id)", "score_rollup (member_id)")
    temp(session, "score_whole", "member_id bigint")
    session.execute(text(f"""
        INSERT INTO score_whole
        SELECT coalesce(b.member_id, r.member_id) FROM score_bases b FULL JOIN score_rollup r
          ON r.member_id = b.member_id
        WHERE {_DRIFT}"""), params)
    if not session.scalar(text("SELECT count(*) FROM score_whole")):
        return 0
    analyze(session, "score_whole")
    session.execute(text("DELETE FROM member_day WHERE member_id IN (SELECT member_id FROM score_whole)"))
    written = session.execute(text(rebuild_days_sql(
        "score_whole w JOIN activity a ON a.member_id = w.member_id")), params).rowcount or 0
    session.execute(text("DELETE FROM score_rollup WHERE member_id IN (SELECT member_id FROM score_whole)"))
    session.execute(text("INSERT INTO score_rollup " + _rollup_sql(
        model, params, "d.member_id IN (SELECT member_id FROM score_whole)")), params)
    # The rebuild read the activity again, later than score_bases: a batch committed in between is in the
    # rollup but not in the bases and counters this run stores. Such members are queued whole, so the next
    # incremental run (which that batch requested) sums them again from one reading.
    session.execute(text(f"""
        INSERT INTO score_pending (agency_id, org_id, member_id, day)
        SELECT :agency, :org, w.member_id, -1 FROM score_whole w
        LEFT JOIN score_bases b ON b.member_id = w.member_id LEFT JOIN score_rollup r ON r.member_id = w.member_id
        WHERE (b.member_id IS NOT NULL OR r.member_id IS NOT NULL) AND {_DRIFT}
        ON CONFLICT DO NOTHING"""), params)
    return written


# A member whose rollup (r, from member_day) disagrees with its bases (b, from the activity); either may be
# missing.
_DRIFT = """(b.member_id IS NULL OR r.member_id IS NULL OR r.n <> b.n OR r.n_custom <> b.n_custom
             OR r.promoters <> b.promoters OR r.days <> b.days OR r.kinds <> b.kinds
             OR abs(r.w_custom - b.w_custom) > 1e-9 * (1.0 + abs(b.w_custom)))"""


def _rollup_sql(model: Model, params: dict, where: str) -> str:
    """Per member of the rollup rows matching `where`: the checksum and the recent figures the stage rules
    need."""
    rules.bind(model, params)
    term = contrib(model, params)
    return f"""
        SELECT d.member_id, sum(d.n) AS n, sum(d.n_custom) AS n_custom, sum(d.w_custom) AS w_custom,
               sum(d.promoters) AS promoters, sum(CAST(d.n AS bigint) * d.day) AS days,
               sum(CAST(d.n AS bigint) * {sql.type_code('d.type')}) AS kinds,
               {sql.weeks_active('d.day')} AS weeks,
               sum(CASE WHEN d.day > :adv_from AND d.day <= :today AND {rules.advocacy_sql(model)}
                        THEN 1 ELSE 0 END) AS adv,
               sum(CASE WHEN d.day > :risk_from AND d.day <= :today THEN {term} ELSE 0.0 END) AS recent_base
        FROM member_day d WHERE {where} GROUP BY d.member_id"""


def daily(session: Session, org_id: int, as_of: datetime | None = None) -> RunResult:
    """Stages move as scores decay (demotions after the grace period), at-risk flags, influence."""
    as_of = as_of or utcnow()
    lock(session, org_id)
    model = current_model(session, org_id)
    stale = session.scalar(text(f"""
        SELECT count(*) FROM member m WHERE {ELIGIBLE} AND (m.score_version IS NULL OR m.score_version <> :v)"""),
        {"org": org_id, "v": model.version})
    if stale:   # a new model or never scored: only a full recompute gives right numbers
        return full(session, org_id, as_of)
    return isolating(session, org_id, as_of, lambda: _daily(session, org_id, model, as_of))


def _daily(session: Session, org_id: int, model: Model, as_of: datetime) -> RunResult:
    result = RunResult(version=model.version)
    work_mem(session)
    result.add_ignored(influence_table(session, org_id, as_of))
    result.stage_changes, result.members = stage_members(session, org_id, model, as_of, with_risk=True,
                                                         influence=True, everyone=True)
    touch(session, org_id, scored_at=as_of, daily_at=as_of)
    return result
