"""The incremental step: apply the member days ingest queued in `score_pending`."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.core.base import utcnow
from tenants.core.context import require_agency_id
from tenants.core.days import day_start
from tenants.scoring.settings import current_model
from tenants.scoring.sql import DAY_COLUMNS, LOCK_KEY, contrib, days_sql
from tenants.scoring.stages import facts_sql, scored_sql, stage_change_sql, stage_params, unscored_sql
from tenants.scoring.state import RunResult


def incremental(session: Session, org_id: int, as_of: datetime | None = None, chunk: int = 5_000) -> RunResult:
    """Apply one chunk of pending member days. Call while it returns `more` (commit between calls).

    Six statements, the working sets passed as arrays and between data-modifying CTEs: temp tables, their
    ANALYZE and ~45 statements in all cost more than the work itself at one day of activity (bench/scoring.py).
    tests/tenants/scoring compares its results with the full recompute's."""
    as_of = as_of or utcnow()
    # For this transaction only: JIT off, as the statements read a few members through indexes, but their row
    # estimates (a member's whole history per touched day) made PostgreSQL JIT-compile them, 40-50 ms each; and
    # key look-ups priced as the cached reads they are, or it hashes the organisation's members to join a few.
    session.execute(text("SELECT set_config('jit', 'off', true), set_config('random_page_cost', '1.1', true), "
                         "pg_advisory_xact_lock(:k, CAST(:org AS integer))"), {"k": LOCK_KEY, "org": org_id})
    model = current_model(session, org_id)
    result = RunResult(version=model.version)
    # The chunk, and its members locked in id order (members first, then their committed
    # queue rows: ingest inserts queue rows and never locks one, so the two cannot deadlock). A member scored
    # with another model version, or never, is summed from scratch ("whole"), as is a queue row's day -1.
    rows = session.execute(text("""
        WITH p AS (SELECT member_id, day FROM score_pending WHERE org_id = :org ORDER BY member_id, day LIMIT :n),
             m AS MATERIALIZED (
                 SELECT id, score_version IS DISTINCT FROM :v OR score_base IS NULL AS stale FROM member
                 WHERE org_id = :org AND id IN (SELECT member_id FROM p) ORDER BY id FOR NO KEY UPDATE)
        SELECT p.member_id, p.day, m.stale FROM p LEFT JOIN m ON m.id = p.member_id"""),
        {"org": org_id, "n": chunk, "v": model.version}).all()
    if not rows:
        return result
    result.more = len(rows) == chunk
    whole_set = {m for m, d, stale in rows if stale is not None and (d < 0 or stale)}
    whole = sorted(whole_set)
    dayed = [(m, d) for m, d, stale in rows if stale is not None and d >= 0 and m not in whole_set]
    params: dict = {"agency": require_agency_id(), "org": org_id, "wm": whole,
                    "tm": [m for m, _ in dayed], "td": [d for _, d in dayed],
                    "pm": [r[0] for r in rows], "pd": [r[1] for r in rows]}
    term = contrib(model, params)
    touched = "unnest(CAST(:tm AS bigint[]), CAST(:td AS integer[])) AS t(member_id, day)"
    # 1. The touched days' rows and whole members' rows out of the rollup, with the queue rows; the old terms of
    # B come back per member.
    old = {m: (b, n) for m, b, n in session.execute(text(f"""
        WITH d AS (DELETE FROM member_day d USING {touched}
                   WHERE d.member_id = t.member_id AND d.day = t.day AND d.org_id = :org
                   RETURNING d.member_id, d.day, d.type, d.n, d.n_custom, d.w_custom),
             w AS (DELETE FROM member_day WHERE member_id = ANY(CAST(:wm AS bigint[])) AND org_id = :org),
             q AS (DELETE FROM score_pending p USING unnest(CAST(:pm AS bigint[]), CAST(:pd AS integer[])) AS v(m, d)
                   WHERE p.org_id = :org AND p.member_id = v.m AND p.day = v.d)
        SELECT d.member_id, sum({term}), CAST(sum(d.n) AS bigint) FROM d GROUP BY d.member_id"""), params)}
    # 2. Those days rebuilt from the activity (each touched day through the (member, time) index; OFFSET 0 keeps
    # it a per-day look-up, where a plain join may scan the organisation's activity), whole members' entire
    # history; the new terms of B, counts and each member's earliest and latest activity come back. The days'
    # bounds go in as timestamps: computed in SQL they stayed a filter, and each look-up read the member's whole
    # history.
    params.update(lo=[day_start(d) for _, d in dayed], hi=[day_start(d + 1) for _, d in dayed])
    days = ("unnest(CAST(:tm AS bigint[]), CAST(:lo AS timestamptz[]), CAST(:hi AS timestamptz[])) "
            "AS t(member_id, lo, hi)")
    in_day = "x.member_id = t.member_id AND x.occurred_at >= t.lo AND x.occurred_at < t.hi"
    extra = ", min(a.occurred_at) AS first_at, max(a.occurred_at) AS last_at"
    per_day = f"{days} CROSS JOIN LATERAL (SELECT * FROM activity x WHERE {in_day} OFFSET 0) a"
    per_member = "unnest(CAST(:wm AS bigint[])) AS w(member_id) JOIN activity a ON a.member_id = w.member_id"
    fresh = days_sql(per_day, extra=extra) + " UNION ALL " + days_sql(per_member, extra=extra)
    new = {}
    for m, b, n, first, last, rows_written in session.execute(text(f"""
            WITH d AS MATERIALIZED ({fresh}),
                 ins AS (INSERT INTO member_day ({DAY_COLUMNS}) SELECT {DAY_COLUMNS} FROM d)
            SELECT d.member_id, sum({term}), CAST(sum(d.n) AS bigint), min(d.first_at), max(d.last_at), count(*)
            FROM d GROUP BY d.member_id"""), params):
        new[m] = (b, n, first, last)
        result.member_days += rows_written
    # 3. Bases and counters, stage decisions, stage changes and member rows in one statement.
    scored = sorted({m for m, _, stale in rows if stale is not None})
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
