"""Scoring's SQL pieces: an activity's weight and decayed term of B, the activities scoring counts, member_day
rows from activity, the per-organisation lock, temp tables."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


def growth(day: str) -> str:
    """2^((day − epoch)/h), the exponent held within −1000..900: no day can overflow a sum (2^900 times a weight
    of 1000 times 2^31 activities stays below 10^284). Counted days reach the cap only 17 years after the
    model's epoch at the shortest half-life."""
    return f"power(2.0, least(greatest(({day} - :epoch) / :half_life, -1000.0), 900.0))"


def contrib(model: Model, params: dict) -> str:
    """One member_day row's term of B."""
    params["epoch"], params["half_life"] = model.epoch_day, float(model.half_life_days)
    return f"(((d.n - d.n_custom) * {weight_case(model, params)} + d.w_custom) * {growth('d.day')})"


# The activities scoring counts: dated from 2000 to two days past the run, and an own weight (if any) within
# 0-1000, the ranges ingest accepts. A stored value outside them (older data, a row written by hand) is left
# out and its member reported, so that one member's data can never overflow the organisation's sums. A NaN
# weight is outside: BETWEEN is false for it.
SANE_FROM = datetime(2000, 1, 1, tzinfo=UTC)
SANE_AHEAD = timedelta(days=2)


def sane(alias: str = "a") -> str:
    """An activity (`alias`) scoring counts; binds :sane_from and :sane_to (sane_params)."""
    return (f"({alias}.occurred_at >= :sane_from AND {alias}.occurred_at < :sane_to "
            f"AND ({alias}.weight IS NULL OR {alias}.weight BETWEEN 0.0 AND 1000.0))")


def sane_params(params: dict, as_of: datetime) -> dict:
    """Bind the window `sane` reads: it ends two days past the later of the run's moment and now."""
    params["sane_from"] = SANE_FROM
    params["sane_to"] = max(as_of, datetime.now(UTC)) + SANE_AHEAD
    return params


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


def days_sql(source: str, extra: str = "", flag_bad: bool = False) -> str:
    """SELECT the member_day rows (DAY_COLUMNS, then `extra`) of the activities (alias a) that `source` (a FROM
    clause) yields and scoring counts (`sane`). flag_bad: the activities it does not count come too, grouped
    apart, with a last column `bad` true (the caller writes only the others and reports the members)."""
    bad = f"NOT {sane()}"
    # A group of activities not counted may hold weights that overflow a sum.
    weights = "FILTER (WHERE a.weight BETWEEN 0.0 AND 1000.0)" if flag_bad else ""
    return f"""
        SELECT :agency AS agency_id, :org AS org_id, a.member_id, {sql.day('a.occurred_at')} AS day, a.type,
               count(*) AS n, count(a.weight) AS n_custom, coalesce(sum(a.weight) {weights}, 0.0) AS w_custom,
               sum(CASE WHEN a.type = 'survey_answer' AND {sql.nps('a.meta')} >= 9 THEN 1 ELSE 0 END) AS promoters
               {extra} {f", {bad} AS bad" if flag_bad else ""}
        FROM {source}
        WHERE a.org_id = :org {"" if flag_bad else f"AND {sane()}"}
        GROUP BY a.member_id, {sql.day('a.occurred_at')}, a.type {f", {bad}" if flag_bad else ""}"""


def rebuild_days_sql(source: str) -> str:
    """INSERT the member_day rows of the activities (alias a) that `source` (a FROM clause) yields."""
    return f"INSERT INTO member_day ({DAY_COLUMNS}) {days_sql(source)}"


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
