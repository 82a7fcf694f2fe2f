"""Scoring's SQL pieces: an activity's weight and decayed term of B, member_day rows from activity, the
per-organisation lock, temp tables."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.core import sql
from tenants.scoring.settings import Model

LOCK_KEY = 7301           # pg_advisory_xact_lock(LOCK_KEY, org_id): one scoring run per organisation


# A member the organisation's scores and figures count (staff, bots, merged-away and erased members are not).
# The organisation is spelled out even where the member is reached from its own activity: without it PostgreSQL
# may hash every member of every organisation for the join (0.3 s a query with 800,000 members in the table).
ELIGIBLE = ("m.org_id = :org AND NOT m.is_staff AND NOT m.is_bot AND m.merged_into_id IS NULL "
            "AND m.erased_at IS NULL")


# The order weight_case tests activity types in: the usual mix first (in any community messages and reactions
# are most of the activity). PostgreSQL tries the WHENs one by one for every row; in alphabetical order
# ("message" sixth, "reaction" tenth) the CASE took 12 ms of a 60 ms pass over 100,000 activities, in this one 5.
COMMON_FIRST = ("message", "reaction", "reply", "post", "share", "review", "content_created", "survey_answer")
_RANK = {kind: i for i, kind in enumerate(COMMON_FIRST)}


def weight_case(model: Model, params: dict, col: str = "d.type") -> str:
    """The model's weight of activity type `col`, as SQL; types weighted 0 fall to the ELSE."""
    weighted = sorted(((k, w) for k, w in model.weights.items() if w), key=lambda kw: (_RANK.get(kw[0], 99), kw[0]))
    parts = []
    for i, (kind, weight) in enumerate(weighted):
        params[f"wt{i}"], params[f"ww{i}"] = kind, float(weight)
        parts.append(f"WHEN :wt{i} THEN :ww{i}")
    return f"(CASE {col} {' '.join(parts)} ELSE 0.0 END)"


def contrib(model: Model, params: dict) -> str:
    """One member_day row's term of B."""
    params["epoch"], params["half_life"] = model.epoch_day, float(model.half_life_days)
    return (f"(((d.n - d.n_custom) * {weight_case(model, params)} + d.w_custom) * "
            f"power(2.0, greatest((d.day - :epoch) / :half_life, -1000.0)))")


def decay(model: Model, moment: datetime) -> float:
    """2^(−(t − epoch)/h): multiplies B into E at `moment`."""
    return 2.0 ** (-(moment.timestamp() / 86400 - model.epoch_day) / model.half_life_days)


def lock(session: Session, org_id: int) -> None:
    """One scoring run per organisation at a time, until this transaction ends."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k, CAST(:org AS integer))"), {"k": LOCK_KEY, "org": org_id})


def temp(session: Session, name: str, columns: str) -> None:
    """A temp table for this transaction (`name` and `columns` are code constants)."""
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    session.execute(text(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP"))


def temp_as(session: Session, name: str, select_sql: str, params: dict) -> None:
    """A temp table for this transaction, filled by `select_sql` (CREATE TABLE AS scans in parallel; INSERT …
    SELECT does not)."""
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    session.execute(text(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {select_sql}"), params)


DAY_COLUMNS = "agency_id, org_id, member_id, day, type, n, n_custom, w_custom, promoters"


def days_sql(source: str, where: str = "1 = 1", extra: str = "") -> str:
    """SELECT the member_day rows (DAY_COLUMNS, then `extra`) of the activities (alias a) that `source` (a FROM
    clause) yields."""
    return f"""
        SELECT :agency AS agency_id, :org AS org_id, a.member_id, {sql.day('a.occurred_at')} AS day, a.type,
               count(*) AS n, count(a.weight) AS n_custom, coalesce(sum(a.weight), 0.0) AS w_custom,
               sum(CASE WHEN a.type = 'survey_answer' AND {sql.nps('a.meta')} >= 9 THEN 1 ELSE 0 END) AS promoters
               {extra}
        FROM {source}
        WHERE a.org_id = :org AND {where}
        GROUP BY a.member_id, {sql.day('a.occurred_at')}, a.type"""


def rebuild_days_sql(source: str, where: str = "1 = 1") -> str:
    """INSERT the member_day rows of the activities (alias a) that `source` (a FROM clause) yields."""
    return f"INSERT INTO member_day ({DAY_COLUMNS}) {days_sql(source, where)}"


def analyze(session: Session, *tables: str) -> None:
    """Temp tables have no statistics; without them PostgreSQL guesses and may scan whole tables. A table may
    name the columns that matter ("score_bases (member_id)"): statistics of every column of a 10,000-row
    table took 20-30 ms."""
    for table in tables:
        session.execute(text(f"ANALYZE {table}"))


def work_mem(session: Session) -> None:
    """Enough memory for the per-member aggregates to stay in RAM, for this transaction only. With the default
    4 MB, and a row estimate far off, PostgreSQL 15's hash aggregate spilled one rollup query into 300,000
    batches and ran for four minutes instead of one second."""
    session.execute(text("SET LOCAL work_mem = '64MB'"))
