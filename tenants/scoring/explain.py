"""What a model would do before it is saved (preview), and why a member has their stage (explain)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.community.models import Member
from tenants.core.base import utcnow
from tenants.core.days import day_number
from tenants.scoring import rules
from tenants.scoring.rules import ADVOCACY_DAYS, STAGES, WEEKS_WINDOW
from tenants.scoring.settings import Model, current_model
from tenants.scoring.sql import ELIGIBLE, contrib, decay


def preview(session: Session, org_id: int, model: Model, as_of: datetime | None = None) -> dict:
    """What saving `model` would do to stages: counts of members per (from, to), without writing anything.
    Promotions happen at once; demotions start the grace period."""
    as_of = as_of or utcnow()
    model = Model.from_settings(model.settings(), 0, day_number(as_of))
    today = day_number(as_of)
    params: dict = {"org": org_id, "today": today, "decay": decay(model, as_of),
                    "weeks_from": today - WEEKS_WINDOW * 7, "adv_from": today - ADVOCACY_DAYS,
                    "tenure_cutoff": as_of - timedelta(days=model.tenure_days)}
    rules.bind(model, params)
    term = contrib(model, params)
    earned = rules.earned_sql("e", "m.first_seen_at <= :tenure_cutoff", "weeks",
                              f"(adv > 0 OR {rules.leader_sql(model)})")
    rows = session.execute(text(f"""
        SELECT m.stage, {rules.STAGE_NAME.format(earned)} AS q, count(*)
        FROM member m JOIN (
            SELECT d.member_id, sum({term}) * :decay AS e,
                   count(DISTINCT CASE WHEN d.day > :weeks_from AND d.day <= :today THEN (:today - d.day) / 7 END)
                     AS weeks,
                   sum(CASE WHEN d.day > :adv_from AND d.day <= :today AND {rules.advocacy_sql(model)}
                            THEN 1 ELSE 0 END) AS adv
            FROM member_day d WHERE d.org_id = :org GROUP BY d.member_id) s ON s.member_id = m.id
        WHERE {ELIGIBLE}
        GROUP BY m.stage, 2"""), params).all()
    rank = {s: i for i, s in enumerate(STAGES)}
    matrix: dict[tuple[str | None, str], int] = {}
    up = down = same = 0
    for cur, new, n in rows:
        matrix[(cur, new)] = matrix.get((cur, new), 0) + n
        if cur is None or rank[new] > rank[cur]:
            up += n if cur is not None else 0
        elif rank[new] < rank[cur]:
            down += n
        else:
            same += n
    return {"up": up, "down": down, "same": same,
            "moves": sorted(((c, n, k) for (c, n), k in matrix.items() if c is not None and c != n),
                            key=lambda m: (-m[2], m[0], m[1]))}


def explain(session: Session, member: Member, as_of: datetime | None = None) -> dict:
    """Why this stage: the contributions that count most now, the score trend, what the next stage needs."""
    as_of = as_of or utcnow()
    model = current_model(session, member.org_id)
    today = day_number(as_of)
    rows = session.execute(text("""
        SELECT day, type, n, n_custom, w_custom, promoters FROM member_day WHERE member_id = :m ORDER BY day"""),
        {"m": member.id}).all()
    h = model.half_life_days
    by_type: dict[str, float] = {}
    weekly = [0.0] * 26
    weeks_active, advocacy = set(), False
    for day, kind, n, n_custom, w_custom, promoters in rows:
        w = (n - n_custom) * model.weights.get(kind, 0.0) + w_custom
        by_type[kind] = by_type.get(kind, 0.0) + w * 2.0 ** (-(as_of.timestamp() / 86400 - day) / h)
        for k in range(26):   # score at the end of each of the last 26 weeks
            end = as_of.timestamp() / 86400 - 7 * (25 - k)
            if day <= end:
                weekly[k] += w * 2.0 ** (-(end - day) / h)
        if today - WEEKS_WINDOW * 7 < day <= today:
            weeks_active.add((today - day) // 7)
        if today - ADVOCACY_DAYS < day <= today and rules.is_signal(model, kind, promoters):
            advocacy = True
    if not advocacy and model.advocacy_leader:
        advocacy = bool(session.scalar(text(f"SELECT {rules.leader_sql(model, ':m')}"), {"m": member.id}))
    score = sum(by_type.values())
    first = member.first_seen_at
    tenure = (as_of - first).days if first else 0
    standing = rules.Standing(score=score, tenure_ok=first is not None and
                              first <= as_of - timedelta(days=model.tenure_days),
                              weeks=len(weeks_active), advocacy=advocacy)
    rank = STAGES.index(member.stage) if member.stage in STAGES else 0
    target = STAGES[rank + 1] if rank + 1 < len(STAGES) else None
    missing = rules.missing(model, standing, tenure, rank)
    top = sorted(((k, v) for k, v in by_type.items() if v > 0.005), key=lambda kv: -kv[1])[:6]
    return {"score": score, "loyalty": model.loyalty(score), "top": top, "weekly": [round(v, 2) for v in weekly],
            "next": target, "missing": missing, "weeks_active": len(weeks_active), "tenure": tenure,
            "advocacy": advocacy, "model": model}
