"""The incremental step: apply the member days ingest queued in `score_pending`."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tenants.core.base import utcnow
from tenants.core.context import require_agency_id
from tenants.core.days import day_number, day_start
from tenants.scoring.settings import Model, current_model
from tenants.scoring.sql import DAY_COLUMNS, LOCK_KEY, SANE_FROM, contrib, days_sql, sane_params
from tenants.scoring.stages import facts_sql, scored_sql, stage_change_sql, stage_params, unscored_sql
from tenants.scoring.state import RunResult, data_error

log = logging.getLogger("communa.scoring")

Claimed = tuple[int, int, int, bool | None]     # member id, day, gen, stale (None: no such member)


def incremental(session: Session, org_id: int, as_of: datetime | None = None, chunk: int = 5_000) -> RunResult:
    """Apply one chunk of pending member days. Call while it returns `more` (commit between calls).

    Six statements, the working sets passed as arrays and between data-modifying CTEs: temp tables, their
    ANALYZE and ~45 statements in all cost more than the work itself at one day of activity (bench/scoring.py).
    tests/tenants/scoring compares its results with the full recompute's. A chunk that fails on its data is
    split until the members it fails for are found: their queue rows are taken out and they are reported in
    `failed`, the rest is scored (see _apply_isolating)."""
    as_of = as_of or utcnow()
    # For this transaction only: JIT off, as the statements read a few members through indexes, but their row
    # estimates (a member's whole history per touched day) made PostgreSQL JIT-compile them, 40-50 ms each; and
    # key look-ups priced as the cached reads they are, or it hashes the organisation's members to join a few.
    session.execute(text("SELECT set_config('jit', 'off', true), set_config('random_page_cost', '1.1', true), "
                         "pg_advisory_xact_lock(:k, CAST(:org AS integer))"), {"k": LOCK_KEY, "org": org_id})
    model = current_model(session, org_id)
    result = RunResult(version=model.version)
    rows = _claim(session, org_id, model, chunk)
    if rows:
        result.more = len(rows) == chunk
        _apply_isolating(session, org_id, model, as_of, rows, result)
    return result


def _claim(session: Session, org_id: int, model: Model, chunk: int) -> list[Claimed]:
    """The chunk, and its members locked in id order (members first, then their committed queue rows: ingest
    inserts queue rows and never locks one, so the two cannot deadlock). A member scored with another model
    version, or never, is summed from scratch ("whole"), as is a queue row's day -1.

    The hand-over is exact: a queue row names the transaction that wrote it (gen), and a run deletes exactly the
    rows it read here. Those were committed before this statement, so their activity is in the later statements'
    snapshots; a batch that commits later has its own row (another gen), which stays for the next run."""
    return [tuple(r) for r in session.execute(text("""
        WITH p AS (SELECT member_id, day, gen FROM score_pending WHERE org_id = :org
                   ORDER BY member_id, day LIMIT :n),
             m AS MATERIALIZED (
                 SELECT id, score_version IS DISTINCT FROM :v OR score_base IS NULL AS stale FROM member
                 WHERE org_id = :org AND id IN (SELECT member_id FROM p) ORDER BY id FOR NO KEY UPDATE)
        SELECT p.member_id, p.day, p.gen, m.stale FROM p LEFT JOIN m ON m.id = p.member_id"""),
        {"org": org_id, "n": chunk, "v": model.version})]


def _apply_isolating(session: Session, org_id: int, model: Model, as_of: datetime, rows: list[Claimed],
                     result: RunResult) -> None:
    """_apply in a savepoint. Where it fails on the data (an error no guard foresaw), the claimed members are
    halved until each failing one is alone: its queue rows are deleted and it is reported in result.failed
    (its scores stay as they were), so no member's data can hold the organisation's queue."""
    try:
        with session.begin_nested():
            part = _apply(session, org_id, model, as_of, rows)
    except DBAPIError as exc:
        if not data_error(exc):
            raise
        members = sorted({r[0] for r in rows})
        if len(members) == 1:
            _release(session, org_id, rows)
            result.failed.append(members[0])
            log.warning("scoring: organisation %s, member %s left unscored: %s", org_id, members[0],
                        str(exc.orig).splitlines()[0] if exc.orig else exc)
            return
        half = set(members[:len(members) // 2])
        _apply_isolating(session, org_id, model, as_of, [r for r in rows if r[0] in half], result)
        _apply_isolating(session, org_id, model, as_of, [r for r in rows if r[0] not in half], result)
        return
    result.add(part)


def _release(session: Session, org_id: int, rows: list[Claimed]) -> None:
    """Delete exactly the claimed queue rows."""
    session.execute(text("""
        DELETE FROM score_pending p
        USING unnest(CAST(:pm AS bigint[]), CAST(:pd AS integer[]), CAST(:pg AS bigint[])) AS v(m, d, g)
        WHERE p.org_id = :org AND p.member_id = v.m AND p.day = v.d AND p.gen = v.g"""),
        {"org": org_id, "pm": [r[0] for r in rows], "pd": [r[1] for r in rows], "pg": [r[2] for r in rows]})


def _apply(session: Session, org_id: int, model: Model, as_of: datetime, rows: list[Claimed]) -> RunResult:
    """Rebuild the claimed member days from the activity, bring B and the counters up to date, re-stage those
    members, release the claimed queue rows."""
    result = RunResult(version=model.version)
    whole_set = {m for m, d, _, stale in rows if stale is not None and (d < 0 or stale)}
    whole = sorted(whole_set)
    dayed = sorted({(m, d) for m, d, _, stale in rows if stale is not None and d >= 0 and m not in whole_set})
    # Days outside the window scoring counts have no rows to rebuild (and may lie past Python's dates): their
    # rollup rows are only taken out, and their members reported.
    lo_day, hi_day = day_number(SANE_FROM), day_number(sane_params({}, as_of)["sane_to"])
    counted = [(m, d) for m, d in dayed if lo_day <= d <= hi_day]
    result.ignored.extend(sorted({m for m, d in dayed if not lo_day <= d <= hi_day}))
    params: dict = sane_params({"agency": require_agency_id(), "org": org_id, "wm": whole,
                                "tm": [m for m, _ in dayed], "td": [d for _, d in dayed],
                                "rm": [m for m, _ in counted]}, as_of)
    term = contrib(model, params)
    touched = "unnest(CAST(:tm AS bigint[]), CAST(:td AS integer[])) AS t(member_id, day)"
    _release(session, org_id, rows)
    # 1. The touched days' rows and whole members' rows out of the rollup; the old terms of B come back per
    # member.
    old = {m: (b, n) for m, b, n in session.execute(text(f"""
        WITH d AS (DELETE FROM member_day d USING {touched}
                   WHERE d.member_id = t.member_id AND d.day = t.day AND d.org_id = :org
                   RETURNING d.member_id, d.day, d.type, d.n, d.n_custom, d.w_custom),
             w AS (DELETE FROM member_day WHERE member_id = ANY(CAST(:wm AS bigint[])) AND org_id = :org)
        SELECT d.member_id, sum({term}), CAST(sum(d.n) AS bigint) FROM d GROUP BY d.member_id"""), params)}
    # 2. Those days rebuilt from the activity (each touched day through the (member, time) index; OFFSET 0 keeps
    # it a per-day look-up, where a plain join may scan the organisation's activity), whole members' entire
    # history; the new terms of B, counts and each member's earliest and latest activity come back. The days'
    # bounds go in as timestamps: computed in SQL they stayed a filter, and each look-up read the member's whole
    # history. Activities scoring does not count come grouped apart (bad): not written, their members reported.
    params.update(lo=[day_start(d) for _, d in counted], hi=[day_start(d + 1) for _, d in counted])
    days = ("unnest(CAST(:rm AS bigint[]), CAST(:lo AS timestamptz[]), CAST(:hi AS timestamptz[])) "
            "AS t(member_id, lo, hi)")
    in_day = "x.member_id = t.member_id AND x.occurred_at >= t.lo AND x.occurred_at < t.hi"
    extra = ", min(a.occurred_at) AS first_at, max(a.occurred_at) AS last_at"
    per_day = f"{days} CROSS JOIN LATERAL (SELECT * FROM activity x WHERE {in_day} OFFSET 0) a"
    per_member = "unnest(CAST(:wm AS bigint[])) AS w(member_id) JOIN activity a ON a.member_id = w.member_id"
    fresh = days_sql(per_day, extra, flag_bad=True) + " UNION ALL " + days_sql(per_member, extra, flag_bad=True)
    good = "FILTER (WHERE NOT d.bad)"
    new = {}
    for m, b, n, first, last, rows_written, bad in session.execute(text(f"""
            WITH d AS MATERIALIZED ({fresh}),
                 ins AS (INSERT INTO member_day ({DAY_COLUMNS}) SELECT {DAY_COLUMNS} FROM d WHERE NOT d.bad)
            SELECT d.member_id, coalesce(sum({term}) {good}, 0.0), CAST(coalesce(sum(d.n) {good}, 0) AS bigint),
                   min(d.first_at) {good}, max(d.last_at) {good}, count(*) {good}, bool_or(d.bad)
            FROM d GROUP BY d.member_id"""), params):
        new[m] = (b, n, first, last)
        result.member_days += rows_written
        if bad:
            result.ignored.append(m)
    # 3. Bases and counters, stage decisions, stage changes and member rows in one statement.
    scored = sorted({m for m, _, _, stale in rows if stale is not None})
    result.members = len(scored)
    params.update(stage_params(org_id, model, as_of))
    olds = [old.get(m, (0.0, 0)) for m in scored]
    news = [new.get(m, (0.0, 0, None, None)) for m in scored]
    params.update(sm=scored, sw=[m in whole_set for m in scored], sob=[o[0] for o in olds], son=[o[1] for o in olds],
                  snb=[n[0] for n in news], snn=[n[1] for n in news], sf=[n[2] for n in news], sl=[n[3] for n in news])
    facts = facts_sql(model, params, "sum", False, "member m JOIN b ON b.member_id = m.id")
    result.stage_changes = session.execute(text(f"""
        WITH s AS (SELECT * FROM unnest(CAST(:sm AS bigint[]), CAST(:sw AS boolean[]),
                                        CAST(:sob AS double precision[]), CAST(:son AS bigint[]),
                                        CAST(:snb AS double precision[]), CAST(:snn AS bigint[]),
                                        CAST(:sf AS timestamptz[]), CAST(:sl AS timestamptz[]))
                            AS s(member_id, whole, old_b, old_n, new_b, new_n, first_at, last_at)),
             b AS MATERIALIZED (
                 SELECT s.member_id,
                        CASE WHEN s.whole THEN 0.0 ELSE coalesce(m.score_base, 0.0) - s.old_b END + s.new_b AS base,
                        CASE WHEN s.whole THEN 0 ELSE m.activity_count - s.old_n END + s.new_n AS n,
                        CASE WHEN s.whole THEN s.first_at ELSE least(m.first_seen_at, s.first_at) END AS first_at,
                        CASE WHEN s.whole THEN s.last_at ELSE greatest(m.last_active_at, s.last_at) END AS last_at
                 FROM s JOIN member m ON m.id = s.member_id AND m.org_id = :org),
             f AS MATERIALIZED ({facts}),
             changes AS ({stage_change_sql("f")} RETURNING 1),
             scored AS ({scored_sql("f", False, "sum", False)}),
             unscored AS ({unscored_sql("b", "SELECT member_id FROM b")}),
             stamp AS (INSERT INTO org_score (agency_id, org_id, scored_at) VALUES (:agency, :org, :now)
                       ON CONFLICT (org_id) DO UPDATE SET scored_at = excluded.scored_at)
        SELECT count(*) FROM changes"""), params).scalar_one()
    return result
