"""Stage decisions for a set of members in one pass: score, loyalty index, stage (promote at once, demote
after the grace period), stage history, at-risk flag and influence, each member row written once."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.community.models import UNSCORED_MEMBER
from tenants.core import sql
from tenants.core.context import require_agency_id
from tenants.core.days import day_number
from tenants.scoring import rules
from tenants.scoring.rules import ADVOCACY_DAYS, WEEKS_WINDOW
from tenants.scoring.settings import Model
from tenants.scoring.sql import ELIGIBLE, contrib, decay, temp


def stage_params(org_id: int, model: Model, as_of: datetime) -> dict:
    """The parameters every stage statement binds."""
    today = day_number(as_of)
    params: dict = {"agency": require_agency_id(), "org": org_id, "today": today,
                    "decay": decay(model, as_of), "weeks_from": today - WEEKS_WINDOW * 7,
                    "adv_from": today - ADVOCACY_DAYS, "risk_from": today - model.risk_days,
                    "decay_then": decay(model, as_of - timedelta(days=model.risk_days)),
                    "tenure_cutoff": as_of - timedelta(days=model.tenure_days),
                    "grace_cutoff": as_of - timedelta(days=model.grace_days),
                    "risk_cutoff": as_of - timedelta(days=model.risk_days),
                    "now": as_of, "v": model.version}
    return params


FACT_COLUMNS = ("member_id, base, e, e_then, cur, below, q, last_active, n, first_at, infl_raw, infl_pct, new, "
                "new_below")


def facts_sql(model: Model, params: dict, bases: str | None, influence: bool, members: str) -> str:
    """SELECT FACT_COLUMNS of the scored members among `members` (member m, and with `bases` the bases as b):
    score, the stage earned (q) and the stage decided (new: promote at once; demote after the grace period).
    bases "sum": B and the counters from b, the recent history read per member only where the score makes it
    matter; "full": also the recent history from temp table score_rollup; None: B as stored."""
    rules.bind(model, params)
    term = contrib(model, params)
    base = "coalesce(b.base, 0.0)" if bases else "coalesce(m.score_base, 0.0)"
    if bases == "sum":
        # A few members, whose recent history is read only when their score makes it matter (active weeks at
        # the "active" bar, advocacy at the "advocate" bar), through the rollup's key.
        recent = ""
        weeks = (f"(SELECT {sql.weeks_active('d.day')} FROM member_day d WHERE d.member_id = m.id "
                 "AND d.day > :weeks_from AND d.day <= :today)")
        # A scalar sub-select, not EXISTS: PostgreSQL may run an EXISTS as one hashed scan of all member days.
        # The signalling types spelled out, so the look-up reads only their entries by (member, type, day), not
        # all 180 days of an advocate's rollup.
        advocate = ("(SELECT 1 FROM member_day d WHERE d.member_id = m.id AND d.type = ANY(CAST(:signals AS text[])) "
                    f"AND d.day > :adv_from AND d.day <= :today AND {rules.advocacy_sql(model)} LIMIT 1) IS NOT NULL")
        recent_base = "0.0"
    else:
        source = "score_rollup" if bases == "full" else f"""(
            SELECT d.member_id, {sql.weeks_active('d.day')} AS weeks,
                   sum(CASE WHEN {rules.advocacy_sql(model)} THEN 1 ELSE 0 END) AS adv,
                   sum(CASE WHEN d.day > :risk_from THEN {term} ELSE 0.0 END) AS recent_base
            FROM member_day d WHERE d.org_id = :org AND d.day > :adv_from AND d.day <= :today
            GROUP BY d.member_id)"""
        recent = f"LEFT JOIN {source} r ON r.member_id = m.id"
        weeks, advocate, recent_base = "coalesce(r.weeks, 0)", "coalesce(r.adv, 0) > 0", "coalesce(r.recent_base, 0.0)"
    advocate = f"({advocate} OR {rules.leader_sql(model)})"
    e = f"{base} * :decay"
    # The counters as the bases left them (a member without activity has none in a full run).
    n, first, last = ("coalesce(b.n, 0)", "b.first_at", "b.last_at") if bases else \
        ("m.activity_count", "m.first_seen_at", "m.last_active_at")
    infl_raw, infl_pct, join_infl = ("i.raw", "i.pct", "LEFT JOIN score_influence i ON i.member_id = m.id") \
        if influence else ("CAST(NULL AS double precision)", "CAST(NULL AS double precision)", "")
    # The decision in the same statement: an UPDATE of every row of the temp table for the influence, and
    # another for the decision, cost 35-60 ms a full run. OFFSET 0 keeps PostgreSQL from inlining x, which would
    # evaluate q (and its sub-selects) once per mention.
    return f"""
        SELECT x.*,
               CASE WHEN x.cur IS NULL OR x.q >= x.cur THEN x.q
                    WHEN x.below IS NOT NULL AND x.below <= :grace_cutoff THEN x.q ELSE x.cur END AS new,
               CASE WHEN x.cur IS NULL OR x.q >= x.cur THEN NULL
                    WHEN x.below IS NOT NULL AND x.below <= :grace_cutoff THEN NULL
                    ELSE coalesce(x.below, :now) END AS new_below
        FROM (SELECT m.id AS member_id, {base} AS base, {e} AS e, ({base} - {recent_base}) * :decay_then AS e_then,
                     {rules.STAGE_RANK.format("m.stage")} AS cur,
                     m.stage_below_since AS below,
                     {rules.earned_sql(e, f"{first} <= :tenure_cutoff", weeks, advocate)} AS q,
                     {last} AS last_active, {n} AS n, {first} AS first_at, {infl_raw} AS infl_raw,
                     {infl_pct} AS infl_pct
              FROM {members} {recent} {join_infl}
              WHERE {ELIGIBLE}
              {sql.FENCE}) x"""


def stage_change_sql(facts: str) -> str:
    """INSERT the stage changes of `facts` (a table or CTE of FACT_COLUMNS)."""
    return f"""
        INSERT INTO stage_change (agency_id, org_id, member_id, from_stage, to_stage, score, changed_at)
        SELECT :agency, :org, f.member_id, {rules.STAGE_NAME.format("f.cur")}, {rules.STAGE_NAME.format("f.new")},
               f.e, :now
        FROM {facts} f WHERE f.cur IS NULL OR f.new <> f.cur"""


def scored_sql(facts: str, with_risk: bool, bases: str | None, influence: bool) -> str:
    """UPDATE the scored members from `facts`."""
    risk = ("at_risk = (f.new >= 3 AND (f.last_active IS NULL OR f.last_active < :risk_cutoff "
            "OR f.e < 0.5 * f.e_then)),") if with_risk else "at_risk = (at_risk AND f.new >= 3),"
    # B summed again from the same activity differs only in the last bits (the order of a parallel sum): the old
    # value is kept then, so the row's indexed columns do not change and PostgreSQL can update it in place (HOT).
    stored = (", score_base = CASE WHEN member.score_version = :v AND abs(f.base - member.score_base) "
              "<= 1e-12 * abs(f.base) THEN member.score_base ELSE f.base END, activity_count = f.n, "
              "first_seen_at = f.first_at, last_active_at = f.last_active" if bases else "") + (
        ", influence_raw = f.infl_raw, influence = f.infl_pct" if influence else "")
    return f"""
        UPDATE member SET score = f.e, score_at = :now, score_version = :v,
               loyalty_index = 100.0 * (1.0 - power(2.0, greatest(-greatest(f.e, 0.0) / :t3, -1000.0))),
               stage_since = CASE WHEN f.cur IS NULL OR f.new <> f.cur THEN :now ELSE member.stage_since END,
               stage = {rules.STAGE_NAME.format("f.new")}, {risk}
               stage_below_since = f.new_below {stored}
        FROM {facts} f WHERE member.id = f.member_id"""


def unscored_sql(bases: str | None, members: str | None) -> str:
    """UPDATE the members among `members` (a SELECT of ids; None: the whole organisation) who are no longer
    scored: staff, bots, merged away, erased. With `bases` (the table or CTE of their counters) the counters are
    kept all the same, except on an erased member's tombstone, which keeps the figures it had (its activity is
    gone; aggregates still count it)."""
    counters = f""", activity_count = CASE WHEN erased_at IS NOT NULL THEN activity_count
                   ELSE coalesce((SELECT b.n FROM {bases} b WHERE b.member_id = member.id), 0) END,
               first_seen_at = CASE WHEN erased_at IS NOT NULL THEN first_seen_at
                   ELSE (SELECT b.first_at FROM {bases} b WHERE b.member_id = member.id) END,
               last_active_at = CASE WHEN erased_at IS NOT NULL THEN last_active_at
                   ELSE (SELECT b.last_at FROM {bases} b WHERE b.member_id = member.id) END"""
    return f"""
        UPDATE member SET score = NULL, score_base = NULL, loyalty_index = NULL, stage = NULL, stage_since = NULL,
               stage_below_since = NULL, at_risk = false, influence = NULL, influence_raw = NULL, score_at = :now
               {counters if bases else ""}
        WHERE org_id = :org {f"AND id IN ({members})" if members else ""}
          AND ({UNSCORED_MEMBER})"""


def stage_members(session: Session, org_id: int, model: Model, as_of: datetime, with_risk: bool,
                  bases: str | None = None, influence: bool = False, everyone: bool = False,
                  skip: list[int] | None = None) -> tuple[int, int]:
    """Score, loyalty index and stage of the members in temp table score_set, or of all the organisation's
    members (`everyone`); returns (stage changes, member rows written).
    Promote at once; demote only after `grace_days` below the bar (then straight to the stage earned).
    bases "sum": B and the member's counters (n, first_at, last_at) come from temp table score_bases and are
    stored; "full": also the active weeks, advocacy and recent score come from temp table score_rollup (see
    full). influence: the figures in temp table score_influence are stored too. Each member row is written
    once. skip: members left as they are (with `everyone`: members whose scoring failed on their data)."""
    params = stage_params(org_id, model, as_of)
    params["skip"] = list(skip or [])
    some = "SELECT id FROM member WHERE org_id = :org AND id <> ALL(CAST(:skip AS bigint[]))" if skip else None
    # Everyone: the few unscored members through their partial index, not a key probe per member (migration
    # 0013; 11-20 ms a full run at size M).
    unscored = session.execute(text(unscored_sql("score_bases" if bases else None,
                                                 some if everyone else "SELECT member_id FROM score_set")),
                               params).rowcount or 0
    temp(session, "score_facts", "member_id bigint, base double precision, e double precision, "
                                   "e_then double precision, cur integer, below timestamp with time zone, q integer, "
                                   "new integer, new_below timestamp with time zone, "
                                   "last_active timestamp with time zone, infl_raw double precision, "
                                   "infl_pct double precision, n bigint, first_at timestamp with time zone")
    table = f"({some.replace('SELECT id', 'SELECT *')})" if skip and everyone else "member"
    members = f"{table} m" + ("" if everyone else " JOIN score_set s ON s.member_id = m.id") + (
        " LEFT JOIN score_bases b ON b.member_id = m.id" if bases else "")
    session.execute(text(f"INSERT INTO score_facts ({FACT_COLUMNS}) "
                         + facts_sql(model, params, bases, influence, members)), params)
    changes = session.execute(text(stage_change_sql("score_facts")), params).rowcount or 0
    scored = session.execute(text(scored_sql("score_facts", with_risk, bases, influence)), params).rowcount or 0
    return changes, scored + unscored
