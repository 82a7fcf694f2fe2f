"""Members' engagement score and loyalty stage at past moments, for any set of (member, day) points, in one
statement: what the event report and the effect on loyalty read "on the event day" and "30 days after".

The moment of a point is the start of its UTC day: the activity of the days before it counts, the day's own
does not. The score is the scoring model's closed form (tenants/scoring): E(t) = Σ terms of B over the
member's rollup days before t, times 2^(−(t − epoch)/h), with the current model's weights and half-life. The
stage is the one the stage history (`stage_change`) records at that moment; before the history begins it is
reconstructed by the current model's stage rules from the same rollup (score, active weeks, tenure, advocacy),
without the demotion grace and the opinion-leader signal: the way member_month reconstructs past months.
A member first seen after the moment has no stage there (NULL): not yet a member."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.core import sql
from tenants.core.days import day_start
from tenants.scoring import current_model, rules
from tenants.scoring.rules import ADVOCACY_DAYS, WEEKS_WINDOW
from tenants.scoring.settings import Model
from tenants.scoring.sql import ELIGIBLE, analyze, contrib, decay, temp_as

COLUMNS = "member_id, day, e, rank"      # of temp table ev_standing (rank 0-4: rules.STAGES; NULL: not a member)


def compute(session: Session, org_id: int, points_sql: str, params: dict, model: Model | None = None) -> Model:
    """Fill temp table ev_standing (COLUMNS) for the points `points_sql` yields (a SELECT of member_id, day,
    with its bound `params`, :org bound too); members scoring leaves out (staff, bots, merged, erased) are left
    out. Answers the model used."""
    model = model or current_model(session, org_id)
    temp_as(session, "ev_points", f"SELECT DISTINCT member_id, CAST(day AS integer) AS day FROM ({points_sql}) p",
            {**params, "org": org_id})
    analyze(session, "ev_points")
    days = sorted(d for (d,) in session.execute(text("SELECT DISTINCT day FROM ev_points")))
    p: dict = {"org": org_id, "days": days, "decays": [decay(model, day_start(d)) for d in days],
               "tenure": [day_start(d) - timedelta(days=model.tenure_days) for d in days],
               "weeks_days": WEEKS_WINDOW * 7, "adv_days": ADVOCACY_DAYS}
    rules.bind(model, p)
    term = contrib(model, p)
    earned = rules.earned_sql("s.e", "s.first_seen_at <= s.tenure_ts", "s.weeks", "s.adv > 0")
    temp_as(session, "ev_standing", f"""
        WITH mo AS (
            SELECT * FROM unnest(CAST(:days AS integer[]), CAST(:decays AS double precision[]),
                                 CAST(:tenure AS timestamptz[])) AS mo(day, decay, tenure_ts)),
        pts AS (
            SELECT p.member_id, p.day, mo.decay, mo.tenure_ts, to_timestamp(p.day * 86400.0) AS ts, m.first_seen_at
            FROM ev_points p JOIN mo ON mo.day = p.day JOIN member m ON m.id = p.member_id
            WHERE {ELIGIBLE}),
        s AS (
            SELECT p.member_id, p.day, p.ts, p.tenure_ts, p.first_seen_at,
                   p.decay * coalesce(sum({term}), 0.0) AS e,
                   {sql.weeks_active('d.day', 'p.day', 'p.day - :weeks_days')} AS weeks,
                   max(CASE WHEN d.day > p.day - :adv_days AND {rules.advocacy_sql(model)} THEN 1 ELSE 0 END) AS adv
            FROM pts p LEFT JOIN member_day d ON d.member_id = p.member_id AND d.day < p.day
            GROUP BY p.member_id, p.day, p.ts, p.tenure_ts, p.first_seen_at, p.decay),
        rec AS (
            SELECT DISTINCT ON (p.member_id, p.day) p.member_id, p.day, sc.to_stage
            FROM pts p JOIN stage_change sc ON sc.member_id = p.member_id AND sc.changed_at < p.ts
            ORDER BY p.member_id, p.day, sc.changed_at DESC, sc.id DESC)
        SELECT s.member_id, s.day, s.e,
               CASE WHEN s.first_seen_at IS NULL OR s.first_seen_at >= s.ts THEN NULL
                    ELSE coalesce({rules.STAGE_RANK.format("r.to_stage")}, {earned}) END AS rank
        FROM s LEFT JOIN rec r ON r.member_id = s.member_id AND r.day = s.day""", p)
    analyze(session, "ev_standing")
    return model

