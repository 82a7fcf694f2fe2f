"""Loyalty scoring: engagement score, loyalty index, stages, at-risk flag and influence (DESIGN.md, "Scoring
model"). Everything here is set-based SQL over the `member_day` rollup; Python only binds parameters.

Closed-form decay. With half-life h (days) and a member's activity on days d (UTC day numbers):
    E(t) = Σ w · 2^(−(t − d)/h) = B · 2^(−(t − epoch)/h),   B = Σ w · 2^((d − epoch)/h)
`B` is `member.score_base`, scaled to the scoring model's epoch day. New activity adds its own terms to B
and touches nothing else, so the incremental path costs work in proportion to the new activity; the full
recompute sums every term again and gives the same B (up to floating-point rounding, ~1e-12 relative).

Paths (each one transaction, serialised per organisation by an advisory lock on PostgreSQL, so a run killed
halfway leaves nothing behind and two runs never interleave):
  incremental  drain `score_pending` (member days written with the activity, in the same transaction),
               rebuild those member days from `activity`, add (new − old) terms to B, re-stage those members
  full         B of every member straight from the activity, the rollup checked against the activity (member
               days rebuilt only for members whose checksum differs), re-stage everyone, at-risk, influence
  daily        no rebuild: re-stage everyone as scores decay, at-risk and influence (the nightly pass)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .context import require_agency_id
from .db import is_postgres
from .models import (
    ACTIVITY_TYPES,
    UNSCORED_MEMBER,
    JobRun,
    Member,
    Organisation,
    OrgScore,
    ScoringModel,
    utcnow,
)

STAGES = ("newcomer", "participant", "active", "loyal", "advocate")
DEFAULT_WEIGHTS = {
    "reaction": 0.3, "message": 1.0, "reply": 1.5, "post": 3.0, "survey_answer": 2.0, "event_registration": 2.0,
    "review": 5.0, "share": 4.0, "content_created": 5.0, "event_attendance": 6.0, "referral": 8.0,
    "purchase": 3.0, "join": 0.0, "leave": 0.0, "other": 0.5,
}
ADVOCACY_TYPES = ("referral", "share", "content_created")
WEEKS_WINDOW = 8          # "active in ≥ N of the last 8 weeks"
ADVOCACY_DAYS = 180
INFLUENCE_DAYS = 90
EPOCH = date(1970, 1, 1)
LOCK_KEY = 7301           # pg_advisory_xact_lock(LOCK_KEY, org_id): one scoring run per organisation


# A member the organisation's scores and figures count (staff, bots, merged-away and erased members are not).
# The organisation is spelled out even where the member is reached from its own activity: without it PostgreSQL
# may hash every member of every organisation for the join (0.3 s a query with 800,000 members in the table).
ELIGIBLE = ("m.org_id = :org AND NOT m.is_staff AND NOT m.is_bot AND m.merged_into_id IS NULL "
            "AND m.erased_at IS NULL")


class ScoringError(ValueError):
    """A scoring setting is invalid. `template` is a gettext msgid; `params["field"]` names the setting (a
    code the web layer labels)."""

    def __init__(self, template: str, **params) -> None:
        self.template, self.params = template, params
        super().__init__(template % params if params else template)


@dataclass
class Model:
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    half_life_days: float = 60.0
    thresholds: dict[str, float] = field(default_factory=lambda: {
        "participant": 1.0, "active": 10.0, "loyal": 30.0, "advocate": 60.0})
    active_weeks: int = 2
    tenure_days: int = 60
    advocacy_types: list[str] = field(default_factory=lambda: list(ADVOCACY_TYPES))
    advocacy_nps: bool = True
    grace_days: int = 14
    risk_days: int = 30
    version: int = 0
    epoch_day: int = 0

    def settings(self) -> dict:
        return {"weights": self.weights, "half_life_days": self.half_life_days, "thresholds": self.thresholds,
                "active_weeks": self.active_weeks, "tenure_days": self.tenure_days,
                "advocacy_types": self.advocacy_types, "advocacy_nps": self.advocacy_nps,
                "grace_days": self.grace_days, "risk_days": self.risk_days}

    @classmethod
    def from_settings(cls, settings: dict, version: int = 0, epoch_day: int = 0) -> Model:
        """Validated model from stored or submitted settings (missing keys take the defaults)."""
        base = cls()
        weights = dict(base.weights)
        for kind, value in (settings.get("weights") or {}).items():
            if kind not in ACTIVITY_TYPES:
                raise ScoringError("Unknown activity type %(field)s.", field=kind)
            weights[kind] = _number(value, f"weight_{kind}", 0, 100)
        thresholds = dict(base.thresholds)
        for stage, value in (settings.get("thresholds") or {}).items():
            if stage not in thresholds:
                raise ScoringError("Unknown stage %(field)s.", field=stage)
            thresholds[stage] = _number(value, f"threshold_{stage}", 0.01, 100_000)
        order = [thresholds[s] for s in STAGES[1:]]
        if order != sorted(order) or len(set(order)) != len(order):
            raise ScoringError("Stage thresholds must rise from participant to advocate.")
        advocacy = list(settings.get("advocacy_types", base.advocacy_types))
        if any(kind not in ACTIVITY_TYPES for kind in advocacy):
            raise ScoringError("Unknown activity type %(field)s.", field="advocacy_types")
        return cls(
            weights=weights, thresholds=thresholds, advocacy_types=advocacy,
            half_life_days=_number(settings.get("half_life_days", base.half_life_days), "half_life_days", 7, 730),
            active_weeks=int(_number(settings.get("active_weeks", base.active_weeks), "active_weeks", 1, 8)),
            tenure_days=int(_number(settings.get("tenure_days", base.tenure_days), "tenure_days", 0, 3650)),
            advocacy_nps=bool(settings.get("advocacy_nps", base.advocacy_nps)),
            grace_days=int(_number(settings.get("grace_days", base.grace_days), "grace_days", 0, 365)),
            risk_days=int(_number(settings.get("risk_days", base.risk_days), "risk_days", 7, ADVOCACY_DAYS)),
            version=version, epoch_day=epoch_day)

    def loyalty(self, score: float | None) -> float | None:
        """Loyalty index 0-100: a member at the loyal threshold scores 50."""
        if score is None:
            return None
        return 100.0 * (1.0 - 2.0 ** (-score / self.thresholds["loyal"]))


def _number(value, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ScoringError("%(field)s must be a number.", field=name) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ScoringError("%(field)s must be between %(low)s and %(high)s.", field=name, low=f"{low:g}",
                           high=f"{high:g}")
    return number


def day_number(moment: datetime) -> int:
    return math.floor(moment.timestamp() / 86400)


def day_start(day: int) -> datetime:
    return datetime.fromtimestamp(day * 86400, UTC)


def day_of(d: date) -> int:
    """The day number of a calendar date (days since 1970-01-01, as member_day and org_day count them)."""
    return (d - EPOCH).days


def midnight(d: date) -> datetime:
    """The UTC moment a calendar date begins."""
    return day_start(day_of(d))


# --- model versions --------------------------------------------------------------------------------

def current_model(session: Session, org_id: int) -> Model:
    """The organisation's newest saved model; version 1 (the defaults) is saved on first use."""
    row = session.scalar(select(ScoringModel).where(ScoringModel.org_id == org_id)
                         .order_by(ScoringModel.version.desc()).limit(1))
    if row is None:
        return save_model(session, org_id, Model(), None)
    return Model.from_settings(row.settings, row.version, row.epoch_day)


def save_model(session: Session, org_id: int, model: Model, user_id: int | None) -> Model:
    """Store the settings as the next version. Its epoch is today, which keeps 2^((d − epoch)/h) in range."""
    last = session.scalar(select(ScoringModel.version).where(ScoringModel.org_id == org_id)
                          .order_by(ScoringModel.version.desc()).limit(1)) or 0
    row = ScoringModel(org_id=org_id, version=last + 1, settings=model.settings(), epoch_day=day_number(utcnow()),
                       created_by_id=user_id)
    session.add(row)
    session.flush()
    return Model.from_settings(row.settings, row.version, row.epoch_day)


def versions(session: Session, org_id: int) -> list[ScoringModel]:
    return list(session.scalars(select(ScoringModel).where(ScoringModel.org_id == org_id)
                                .order_by(ScoringModel.version.desc())))


# --- SQL pieces ------------------------------------------------------------------------------------

class Dialect:
    """The few spellings that differ between PostgreSQL and SQLite."""

    def __init__(self, session: Session) -> None:
        self.pg = is_postgres(session)
        self.greatest = "greatest" if self.pg else "max"
        self.least = "least" if self.pg else "min"
        # Ends a sub-select PostgreSQL must not fold into the query around it (SQLite has no OFFSET alone).
        self.fence = "OFFSET 0" if self.pg else ""

    def day(self, col: str) -> str:
        if self.pg:   # date arithmetic: extract(epoch) is numeric since PostgreSQL 14, and slow
            return f"(({col} AT TIME ZONE 'UTC')::date - DATE '1970-01-01')"
        return f"CAST(floor(julianday({col}) - 2440587.5) AS integer)"

    def month_of_day(self, col: str) -> str:
        """Calendar month (year * 12 + month - 1) of a day number."""
        if self.pg:
            return (f"CAST(EXTRACT(YEAR FROM DATE '1970-01-01' + {col}) * 12 "
                    f"+ EXTRACT(MONTH FROM DATE '1970-01-01' + {col}) - 1 AS integer)")
        return (f"(CAST(strftime('%Y', {col} * 86400, 'unixepoch') AS integer) * 12 "
                f"+ CAST(strftime('%m', {col} * 86400, 'unixepoch') AS integer) - 1)")

    def month_of_ts(self, col: str) -> str:
        """Calendar month (year * 12 + month - 1) of a stored UTC timestamp."""
        if self.pg:
            return (f"CAST(EXTRACT(YEAR FROM {col} AT TIME ZONE 'UTC') * 12 "
                    f"+ EXTRACT(MONTH FROM {col} AT TIME ZONE 'UTC') - 1 AS integer)")
        return f"(CAST(strftime('%Y', {col}) AS integer) * 12 + CAST(strftime('%m', {col}) AS integer) - 1)"

    def weeks_active(self, day: str, today: str = ":today", since: str = ":weeks_from") -> str:
        """Aggregate: distinct weeks (counted back from `today`) with activity on days in (since, today]."""
        if self.pg:   # a bit per week: bit_or aggregates in parallel and without sorting, count(DISTINCT) not
            return (f"coalesce(bit_count(CAST(bit_or(CASE WHEN {day} > {since} AND {day} <= {today} "
                    f"THEN 1 << (({today} - {day}) / 7) ELSE 0 END) AS bit(8))), 0)")
        return f"count(DISTINCT CASE WHEN {day} > {since} AND {day} <= {today} THEN ({today} - {day}) / 7 END)"

    def type_code(self, col: str, params: dict) -> str:
        """A number per activity type, for the rollup checksum."""
        if self.pg:
            return f"hashtext({col})"
        parts = []
        for i, kind in enumerate(ACTIVITY_TYPES, start=1):
            params[f"tc{i}"] = kind
            parts.append(f"WHEN :tc{i} THEN {i}")
        return f"(CASE {col} {' '.join(parts)} ELSE 0 END)"

    def nps(self, meta: str) -> str:
        return nps_sql(meta, self.pg)

    def ts(self, moment: datetime):
        """A timestamp parameter compared with stored ones (SQLite keeps naive UTC text)."""
        if self.pg:
            return moment
        return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def nps_sql(meta: str, pg: bool) -> str:
    """A survey answer's 0-10 score from its meta JSON (NULL when it has none)."""
    if pg:
        return f"CASE WHEN ({meta}->>'nps') ~ '^[0-9]{{1,2}}$' THEN ({meta}->>'nps')::int END"
    return f"CAST(json_extract({meta}, '$.nps') AS INTEGER)"


# The order _weight_case tests activity types in: the usual mix first (in any community messages and reactions
# are most of the activity). PostgreSQL tries the WHENs one by one for every row; in alphabetical order
# ("message" sixth, "reaction" tenth) the CASE took 12 ms of a 60 ms pass over 100,000 activities, in this one 5.
COMMON_FIRST = ("message", "reaction", "reply", "post", "share", "review", "content_created", "survey_answer")
_RANK = {kind: i for i, kind in enumerate(COMMON_FIRST)}


def _weight_case(model: Model, params: dict, col: str = "d.type") -> str:
    """The model's weight of activity type `col`, as SQL; types weighted 0 fall to the ELSE."""
    weighted = sorted(((k, w) for k, w in model.weights.items() if w), key=lambda kw: (_RANK.get(kw[0], 99), kw[0]))
    parts = []
    for i, (kind, weight) in enumerate(weighted):
        params[f"wt{i}"], params[f"ww{i}"] = kind, float(weight)
        parts.append(f"WHEN :wt{i} THEN :ww{i}")
    return f"(CASE {col} {' '.join(parts)} ELSE 0.0 END)"


def _contrib(model: Model, sql: Dialect, params: dict) -> str:
    """One member_day row's term of B."""
    params["epoch"], params["half_life"] = model.epoch_day, float(model.half_life_days)
    return (f"(((d.n - d.n_custom) * {_weight_case(model, params)} + d.w_custom) * "
            f"power(2.0, {sql.greatest}((d.day - :epoch) / :half_life, -1000.0)))")


def _rule_params(model: Model, params: dict) -> tuple[str, str]:
    """Bind the stage thresholds (:t1..:t4) and advocacy types; returns the SQL for "an advocacy type" and for
    "or an NPS promoter" (empty when NPS does not count)."""
    for i, stage in enumerate(STAGES[1:], start=1):
        params[f"t{i}"] = model.thresholds[stage]
    params.update({f"adv{i}": kind for i, kind in enumerate(model.advocacy_types)})
    advocacy = ", ".join(f":adv{i}" for i in range(len(model.advocacy_types))) or "NULL"
    return advocacy, ("OR d.promoters > 0" if model.advocacy_nps else "")


def _decay(model: Model, moment: datetime) -> float:
    """2^(−(t − epoch)/h): multiplies B into E at `moment`."""
    return 2.0 ** (-(moment.timestamp() / 86400 - model.epoch_day) / model.half_life_days)


def _lock(session: Session, org_id: int) -> None:
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k, CAST(:org AS integer))"),
                        {"k": LOCK_KEY, "org": org_id})


def _temp(session: Session, name: str, columns: str) -> None:
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    suffix = " ON COMMIT DROP" if is_postgres(session) else ""
    session.execute(text(f"CREATE TEMP TABLE {name} ({columns}){suffix}"))


def _temp_as(session: Session, name: str, select_sql: str, params: dict) -> None:
    session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    suffix = " ON COMMIT DROP" if is_postgres(session) else ""
    session.execute(text(f"CREATE TEMP TABLE {name}{suffix} AS {select_sql}"), params)


DAY_COLUMNS = "agency_id, org_id, member_id, day, type, n, n_custom, w_custom, promoters"


def _days_sql(sql: Dialect, source: str, where: str = "1 = 1", extra: str = "") -> str:
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


def _rebuild_days_sql(sql: Dialect, source: str, where: str = "1 = 1") -> str:
    """INSERT the member_day rows of the activities (alias a) that `source` (a FROM clause) yields."""
    return f"INSERT INTO member_day ({DAY_COLUMNS}) {_days_sql(sql, source, where)}"


def _analyze(session: Session, *tables: str) -> None:
    """Temp tables have no statistics; without them PostgreSQL guesses and may scan whole tables. A table may
    name the columns that matter ("score_bases (member_id)"): statistics of every column of a 10,000-row
    table took 20-30 ms."""
    if is_postgres(session):
        for table in tables:
            session.execute(text(f"ANALYZE {table}"))


# --- incremental ----------------------------------------------------------------------------------

def mark_pending(session: Session, org_id: int, pairs: set[tuple[int, int]]) -> None:
    """Record member days that need re-scoring, in the caller's transaction (the activity's own)."""
    if not pairs:
        return
    agency_id = require_agency_id()
    rows = sorted(pairs)
    if is_postgres(session):
        import json
        session.execute(text("""
            INSERT INTO score_pending (agency_id, org_id, member_id, day)
            SELECT :agency, :org, (v->>0)::bigint, (v->>1)::int FROM jsonb_array_elements(CAST(:rows AS jsonb)) v
            ON CONFLICT DO NOTHING"""), {"agency": agency_id, "org": org_id, "rows": json.dumps(rows)})
    else:
        session.execute(text("INSERT OR IGNORE INTO score_pending (agency_id, org_id, member_id, day) "
                             "VALUES (:agency, :org, :m, :d)"),
                        [{"agency": agency_id, "org": org_id, "m": m, "d": d} for m, d in rows])


def mark_members(session: Session, member_ids: set[int] | list[int]) -> None:
    """Whole histories to re-score (merge, unmerge, erase, staff or bot flag changed)."""
    ids = sorted(set(member_ids))
    if not ids:
        return
    params = {f"m{i}": m for i, m in enumerate(ids)}
    session.execute(text(f"""
        INSERT INTO score_pending (agency_id, org_id, member_id, day)
        SELECT agency_id, org_id, id, -1 FROM member WHERE id IN ({", ".join(":" + k for k in params)})
        ON CONFLICT DO NOTHING"""), params)


@dataclass
class RunResult:
    members: int = 0
    member_days: int = 0
    stage_changes: int = 0
    version: int = 0
    more: bool = False        # incremental: the chunk was full, so more may be pending

    def as_dict(self) -> dict:
        return {"members": self.members, "member_days": self.member_days, "stage_changes": self.stage_changes,
                "version": self.version}


def incremental(session: Session, org_id: int, as_of: datetime | None = None, chunk: int = 5_000) -> RunResult:
    """Apply one chunk of pending member days. Call while it returns `more` (commit between calls)."""
    as_of = as_of or utcnow()
    if is_postgres(session):
        return _incremental_pg(session, org_id, as_of, chunk)
    return _incremental_sqlite(session, org_id, as_of, chunk)


def _incremental_sqlite(session: Session, org_id: int, as_of: datetime, chunk: int) -> RunResult:
    """The incremental step on the embedded database, through temp tables (SQLite has neither arrays nor
    data-modifying CTEs; it has one writer at a time, so no locks either)."""
    model = current_model(session, org_id)
    sql, result = Dialect(session), RunResult(version=model.version)
    rows = session.execute(text("""
        SELECT member_id, day FROM score_pending WHERE org_id = :org ORDER BY member_id, day LIMIT :n"""),
        {"org": org_id, "n": chunk}).all()
    if not rows:
        return result
    result.more = len(rows) == chunk
    _temp(session, "score_touched", "member_id bigint, day integer, lo timestamp with time zone, "
                                     "hi timestamp with time zone")
    _temp(session, "score_whole", "member_id bigint")
    days = [(m, d) for m, d in rows if d >= 0]
    whole = sorted({m for m, d in rows if d < 0})
    if days:
        session.execute(text("INSERT INTO score_touched VALUES (:m, :d, :lo, :hi)"),
                        [{"m": m, "d": d, "lo": sql.ts(day_start(d)), "hi": sql.ts(day_start(d + 1))}
                         for m, d in days])
    # Members scored with another model version (or never) are summed from scratch, like a merge. Each member
    # appears once in score_whole: the joins below would count a duplicate's activity twice.
    if whole:
        session.execute(text("INSERT INTO score_whole VALUES (:m)"), [{"m": m} for m in whole])
    session.execute(text("""
        INSERT INTO score_whole SELECT DISTINCT t.member_id FROM score_touched t JOIN member m ON m.id = t.member_id
        WHERE (m.score_version IS NULL OR m.score_version <> :v OR m.score_base IS NULL)
          AND t.member_id NOT IN (SELECT member_id FROM score_whole)"""), {"v": model.version})
    session.execute(text("DELETE FROM score_touched WHERE member_id IN (SELECT member_id FROM score_whole)"))
    session.execute(text("DELETE FROM score_pending WHERE org_id = :org AND member_id = :m AND day = :d"),
                    [{"org": org_id, "m": m, "d": d} for m, d in rows])

    params: dict = {"agency": require_agency_id(), "org": org_id}
    contrib = _contrib(model, sql, params)
    _temp(session, "score_delta", "member_id bigint, delta double precision, dn bigint")
    session.execute(text(f"""
        INSERT INTO score_delta SELECT d.member_id, -sum({contrib}), -sum(d.n)
        FROM score_touched t JOIN member_day d ON d.member_id = t.member_id AND d.day = t.day
        GROUP BY d.member_id"""), params)
    session.execute(text("DELETE FROM member_day WHERE (member_id, day) IN "
                         "(SELECT member_id, day FROM score_touched)"))
    session.execute(text("DELETE FROM member_day WHERE member_id IN (SELECT member_id FROM score_whole)"))
    # The touched days' rows go through a temp table that also keeps each day's earliest and latest activity,
    # for first seen / last active (activities are only ever added to a day).
    _temp_as(session, "score_days", _days_sql(
        sql, "score_touched t JOIN activity a ON a.member_id = t.member_id AND a.occurred_at >= t.lo "
             "AND a.occurred_at < t.hi", extra=", min(a.occurred_at) AS first_at, max(a.occurred_at) AS last_at"),
        params)
    result.member_days += session.execute(text(
        f"INSERT INTO member_day ({DAY_COLUMNS}) SELECT {DAY_COLUMNS} FROM score_days")).rowcount or 0
    result.member_days += session.execute(text(_rebuild_days_sql(
        sql, "score_whole w JOIN activity a ON a.member_id = w.member_id")), params).rowcount or 0
    session.execute(text(f"""
        INSERT INTO score_delta SELECT d.member_id, sum({contrib}), sum(d.n) FROM score_days d
        GROUP BY d.member_id"""), params)
    # New bases and counters: old + (new − old terms) for touched days, the whole sum for whole members. _stage
    # writes them with the stage in one UPDATE of each member row.
    _temp(session, "score_bases", "member_id bigint, base double precision, n bigint, "
                                  "first_at timestamp with time zone, last_at timestamp with time zone")
    session.execute(text("""
        INSERT INTO score_bases
        SELECT t.member_id, coalesce(m.score_base, 0.0) + coalesce(s.delta, 0.0),
               m.activity_count + coalesce(s.dn, 0),
               CASE WHEN m.first_seen_at IS NULL OR v.first_at < m.first_seen_at THEN v.first_at
                    ELSE m.first_seen_at END,
               CASE WHEN m.last_active_at IS NULL OR v.last_at > m.last_active_at THEN v.last_at
                    ELSE m.last_active_at END
        FROM (SELECT DISTINCT member_id FROM score_touched) t JOIN member m ON m.id = t.member_id
        LEFT JOIN (SELECT member_id, sum(delta) AS delta, sum(dn) AS dn FROM score_delta GROUP BY member_id) s
          ON s.member_id = t.member_id
        LEFT JOIN (SELECT member_id, min(first_at) AS first_at, max(last_at) AS last_at FROM score_days
                   GROUP BY member_id) v ON v.member_id = t.member_id"""))
    session.execute(text(f"""
        INSERT INTO score_bases SELECT w.member_id, coalesce(sum({contrib}), 0.0), coalesce(sum(d.n), 0),
               (SELECT min(a.occurred_at) FROM activity a WHERE a.member_id = w.member_id),
               (SELECT max(a.occurred_at) FROM activity a WHERE a.member_id = w.member_id)
        FROM score_whole w LEFT JOIN member_day d ON d.member_id = w.member_id
        GROUP BY w.member_id"""), params)
    _temp(session, "score_set", "member_id bigint")
    session.execute(text("INSERT INTO score_set SELECT member_id FROM score_touched "
                         "UNION SELECT member_id FROM score_whole"))
    result.stage_changes, result.members = _stage(session, org_id, model, as_of, with_risk=False, bases="sum")
    touch(session, org_id, scored_at=as_of)
    return result


def _incremental_pg(session: Session, org_id: int, as_of: datetime, chunk: int) -> RunResult:
    """The incremental step in six statements, the working sets passed as arrays and between data-modifying
    CTEs: temp tables, their ANALYZE and ~45 statements in all cost more than the work itself at one day of
    activity (bench/scoring.py). The same results as the SQLite path: tests/scoring compares each with the full
    recompute."""
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
    sql = Dialect(session)
    contrib = _contrib(model, sql, params)
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
        SELECT d.member_id, sum({contrib}), CAST(sum(d.n) AS bigint) FROM d GROUP BY d.member_id"""), params)}
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
    fresh = _days_sql(sql, per_day, extra=extra) + " UNION ALL " + _days_sql(sql, per_member, extra=extra)
    new = {}
    for m, b, n, first, last, rows_written in session.execute(text(f"""
            WITH d AS MATERIALIZED ({fresh}),
                 ins AS (INSERT INTO member_day ({DAY_COLUMNS}) SELECT {DAY_COLUMNS} FROM d)
            SELECT d.member_id, sum({contrib}), CAST(sum(d.n) AS bigint), min(d.first_at), max(d.last_at), count(*)
            FROM d GROUP BY d.member_id"""), params):
        new[m] = (b, n, first, last)
        result.member_days += rows_written
    # 3. Bases and counters, stage decisions, stage changes and member rows in one statement.
    scored = sorted({m for m, _, stale in rows if stale is not None})
    result.members = len(scored)
    params.update(_stage_params(sql, org_id, model, as_of))
    olds = [old.get(m, (0.0, 0)) for m in scored]
    news = [new.get(m, (0.0, 0, None, None)) for m in scored]
    params.update(sm=scored, sw=[m in whole_set for m in scored], sob=[o[0] for o in olds], son=[o[1] for o in olds],
                  snb=[n[0] for n in news], snn=[n[1] for n in news], sf=[n[2] for n in news], sl=[n[3] for n in news])
    facts = _facts_sql(sql, model, params, "sum", False, "member m JOIN b ON b.member_id = m.id")
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
             changes AS ({_stage_change_sql().format(facts="f")} RETURNING 1),
             scored AS ({_scored_sql(sql, False, "sum", False).format(facts="f")}),
             unscored AS ({_unscored_sql("sum", "SELECT member_id FROM b").format(bases="b")}),
             stamp AS (INSERT INTO org_score (agency_id, org_id, scored_at) VALUES (:agency, :org, :now)
                       ON CONFLICT (org_id) DO UPDATE SET scored_at = excluded.scored_at)
        SELECT count(*) FROM changes"""), params).scalar_one()
    return result


# --- full and daily ---------------------------------------------------------------------------------

def full(session: Session, org_id: int, as_of: datetime | None = None, progress=None) -> RunResult:
    """Scores from the activity table itself, the rollup checked against it (and rebuilt where it disagrees),
    then stage, at-risk and influence. `progress(percent, message)` is called between steps.

    One pass over the organisation's activity gives each member's B and a checksum of the member_day rows those
    activities make; members whose rollup has another checksum get their member days rebuilt. The rollup is
    kept in step by ingest and the incremental path, so normally nothing is rewritten: rewriting ~500k rollup
    rows cost 8 s of a 9 s run (bench/scoring.py, size S)."""
    as_of = as_of or utcnow()
    progress = progress or (lambda *_: None)
    _lock(session, org_id)
    work_mem(session)
    model = current_model(session, org_id)
    sql, result = Dialect(session), RunResult(version=model.version)
    # Pending work committed before this point is covered by this pass; anything later stays queued (and is
    # harmless twice: the incremental step rebuilds a day from the activity). No member rows are locked up
    # front: ingest writes none, and the member UPDATE at the end locks what it writes (locking the
    # organisation's members first cost 13-15 ms of a run at size M).
    session.execute(text("DELETE FROM score_pending WHERE org_id = :org"), {"org": org_id})
    today = day_number(as_of)
    params: dict = {"agency": require_agency_id(), "org": org_id, "today": today,
                    "weeks_from": today - WEEKS_WINDOW * 7, "adv_from": today - ADVOCACY_DAYS,
                    "risk_from": today - model.risk_days,
                    "epoch": model.epoch_day, "half_life": float(model.half_life_days)}
    weight = f"coalesce(a.weight, {_weight_case(model, params, 'a.type')})"
    # Nested CASE: only survey answers have their meta parsed (an AND may evaluate both sides, on every row).
    promoter = f"CASE WHEN a.type = 'survey_answer' THEN CASE WHEN {sql.nps('a.meta')} >= 9 THEN 1 END END"
    # The day once per activity: PostgreSQL computes a repeated expression again, and OFFSET 0 keeps it from
    # folding the sub-select back in (the UTC date of a timestamp is a sixth of this pass).
    # CREATE TABLE AS, not INSERT … SELECT: PostgreSQL scans in parallel only for the former.
    _temp_as(session, "score_bases", f"""
        SELECT a.member_id,
               sum({weight} * power(2.0, {sql.greatest}((a.day - :epoch) / :half_life, -1000.0))) AS base,
               count(*) AS n, count(a.weight) AS n_custom, coalesce(sum(a.weight), 0.0) AS w_custom,
               coalesce(sum({promoter}), 0) AS promoters, sum(a.day) AS days,
               sum({sql.type_code('a.type', params)}) AS kinds,
               min(a.occurred_at) AS first_at, max(a.occurred_at) AS last_at
        FROM (SELECT a.member_id, a.type, a.weight, a.meta, a.occurred_at, {sql.day("a.occurred_at")} AS day
              FROM activity a WHERE a.org_id = :org {sql.fence}) a
        GROUP BY a.member_id""", params)
    progress(35, "rollups")
    result.member_days = _repair_rollup(session, org_id, model, sql, params)
    progress(55, "influence")
    _influence(session, org_id, as_of)
    progress(70, "stages")
    result.stage_changes, result.members = _stage(session, org_id, model, as_of, with_risk=True, bases="full",
                                                  influence=True, everyone=True)
    touch(session, org_id, scored_at=as_of, full_at=as_of, daily_at=as_of)
    return result


def _repair_rollup(session: Session, org_id: int, model: Model, sql: Dialect, params: dict) -> int:
    """Compare each member's member_day checksum with the one score_bases took from the activity; rebuild the
    member days of members that disagree. Leaves temp table score_rollup with each member's checksum and the
    recent figures the stage rules need (active weeks, advocacy, recent score), read from the checked rollup.
    Returns the member days written."""
    advocacy, promoters = _rule_params(model, params)
    contrib = _contrib(model, sql, params)
    rollup = f"""
        SELECT d.member_id, sum(d.n) AS n, sum(d.n_custom) AS n_custom, sum(d.w_custom) AS w_custom,
               sum(d.promoters) AS promoters, sum(CAST(d.n AS bigint) * d.day) AS days,
               sum(CAST(d.n AS bigint) * {sql.type_code('d.type', params)}) AS kinds,
               {sql.weeks_active('d.day')} AS weeks,
               sum(CASE WHEN d.day > :adv_from AND d.day <= :today AND (d.type IN ({advocacy}) {promoters})
                        THEN 1 ELSE 0 END) AS adv,
               sum(CASE WHEN d.day > :risk_from AND d.day <= :today THEN {contrib} ELSE 0.0 END) AS recent_base
        FROM member_day d WHERE {{where}} GROUP BY d.member_id"""
    _temp_as(session, "score_rollup", rollup.format(where="d.org_id = :org"), params)
    _analyze(session, "score_bases (member_id)", "score_rollup (member_id)")
    _temp(session, "score_whole", "member_id bigint")
    session.execute(text("""
        INSERT INTO score_whole
        SELECT coalesce(b.member_id, r.member_id) FROM score_bases b FULL JOIN score_rollup r
          ON r.member_id = b.member_id
        WHERE b.member_id IS NULL OR r.member_id IS NULL OR r.n <> b.n OR r.n_custom <> b.n_custom
           OR r.promoters <> b.promoters OR r.days <> b.days OR r.kinds <> b.kinds
           OR abs(r.w_custom - b.w_custom) > 1e-9 * (1.0 + abs(b.w_custom))"""), params)
    if not session.scalar(text("SELECT count(*) FROM score_whole")):
        return 0
    _analyze(session, "score_whole")
    session.execute(text("DELETE FROM member_day WHERE member_id IN (SELECT member_id FROM score_whole)"))
    written = session.execute(text(_rebuild_days_sql(
        sql, "score_whole w JOIN activity a ON a.member_id = w.member_id")), params).rowcount or 0
    session.execute(text("DELETE FROM score_rollup WHERE member_id IN (SELECT member_id FROM score_whole)"))
    session.execute(text("INSERT INTO score_rollup " + rollup.format(
        where="d.member_id IN (SELECT member_id FROM score_whole)")), params)
    return written


def work_mem(session: Session) -> None:
    """Enough memory for the per-member aggregates to stay in RAM, for this transaction only. With the default
    4 MB, and a row estimate far off, PostgreSQL 15's hash aggregate spilled one rollup query into 300,000
    batches and ran for four minutes instead of one second."""
    if is_postgres(session):
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def daily(session: Session, org_id: int, as_of: datetime | None = None) -> RunResult:
    """Stages move as scores decay (demotions after the grace period), at-risk flags, influence."""
    as_of = as_of or utcnow()
    _lock(session, org_id)
    model = current_model(session, org_id)
    result = RunResult(version=model.version)
    stale = session.scalar(text(f"""
        SELECT count(*) FROM member m WHERE {ELIGIBLE} AND (m.score_version IS NULL OR m.score_version <> :v)"""),
        {"org": org_id, "v": model.version})
    if stale:   # a new model or never scored: only a full recompute gives right numbers
        return full(session, org_id, as_of)
    work_mem(session)
    _influence(session, org_id, as_of)
    result.stage_changes, result.members = _stage(session, org_id, model, as_of, with_risk=True, influence=True,
                                                  everyone=True)
    touch(session, org_id, scored_at=as_of, daily_at=as_of)
    return result


# --- stages -------------------------------------------------------------------------------------------

def _stage_params(sql: Dialect, org_id: int, model: Model, as_of: datetime) -> dict:
    """The parameters every stage statement binds."""
    today = day_number(as_of)
    params: dict = {"agency": require_agency_id(), "org": org_id, "today": today,
                    "decay": _decay(model, as_of), "weeks_from": today - WEEKS_WINDOW * 7,
                    "adv_from": today - ADVOCACY_DAYS, "risk_from": today - model.risk_days,
                    "decay_then": _decay(model, as_of - timedelta(days=model.risk_days)),
                    "tenure_cutoff": sql.ts(as_of - timedelta(days=model.tenure_days)),
                    "grace_cutoff": sql.ts(as_of - timedelta(days=model.grace_days)),
                    "risk_cutoff": sql.ts(as_of - timedelta(days=model.risk_days)),
                    "now": sql.ts(as_of), "need_weeks": model.active_weeks, "v": model.version}
    return params


STAGE_NAME = ("CASE {} WHEN 0 THEN 'newcomer' WHEN 1 THEN 'participant' WHEN 2 THEN 'active' "
              "WHEN 3 THEN 'loyal' WHEN 4 THEN 'advocate' END")
FACT_COLUMNS = ("member_id, base, e, e_then, cur, below, q, last_active, n, first_at, infl_raw, infl_pct, new, "
                "new_below")


def _facts_sql(sql: Dialect, model: Model, params: dict, bases: str | None, influence: bool, members: str) -> str:
    """SELECT FACT_COLUMNS of the scored members among `members` (member m, and with `bases` the bases as b):
    score, the stage earned (q) and the stage decided (new: promote at once; demote after the grace period).
    bases "sum": B and the counters from b, the recent history read per member only where the score makes it
    matter; "full": also the recent history from temp table score_rollup; None: B as stored."""
    advocacy, promoters = _rule_params(model, params)
    contrib = _contrib(model, sql, params)
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
        signals = advocacy + (", 'survey_answer'" if promoters else "")
        advocate = (f"(SELECT 1 FROM member_day d WHERE d.member_id = m.id AND d.type IN ({signals}) "
                    f"AND d.day > :adv_from AND d.day <= :today AND (d.type IN ({advocacy}) {promoters}) LIMIT 1) "
                    "IS NOT NULL")
        recent_base = "0.0"
    else:
        source = "score_rollup" if bases == "full" else f"""(
            SELECT d.member_id, {sql.weeks_active('d.day')} AS weeks,
                   sum(CASE WHEN d.type IN ({advocacy}) {promoters} THEN 1 ELSE 0 END) AS adv,
                   sum(CASE WHEN d.day > :risk_from THEN {contrib} ELSE 0.0 END) AS recent_base
            FROM member_day d WHERE d.org_id = :org AND d.day > :adv_from AND d.day <= :today
            GROUP BY d.member_id)"""
        recent = f"LEFT JOIN {source} r ON r.member_id = m.id"
        weeks, advocate, recent_base = "coalesce(r.weeks, 0)", "coalesce(r.adv, 0) > 0", "coalesce(r.recent_base, 0.0)"
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
                     CASE m.stage WHEN 'newcomer' THEN 0 WHEN 'participant' THEN 1 WHEN 'active' THEN 2
                                  WHEN 'loyal' THEN 3 WHEN 'advocate' THEN 4 END AS cur,
                     m.stage_below_since AS below,
                     CASE WHEN {e} >= :t4 AND {advocate} THEN 4
                          WHEN {e} >= :t3 AND {first} <= :tenure_cutoff THEN 3
                          WHEN {e} >= :t2 AND {weeks} >= :need_weeks THEN 2
                          WHEN {e} >= :t1 THEN 1 ELSE 0 END AS q,
                     {last} AS last_active, {n} AS n, {first} AS first_at, {infl_raw} AS infl_raw,
                     {infl_pct} AS infl_pct
              FROM {members} {recent} {join_infl}
              WHERE {ELIGIBLE}
              {sql.fence}) x"""


def _stage_change_sql() -> str:
    """INSERT the stage changes of facts f."""
    return f"""
        INSERT INTO stage_change (agency_id, org_id, member_id, from_stage, to_stage, score, changed_at)
        SELECT :agency, :org, f.member_id, {STAGE_NAME.format("f.cur")}, {STAGE_NAME.format("f.new")}, f.e, :now
        FROM {{facts}} f WHERE f.cur IS NULL OR f.new <> f.cur"""


def _scored_sql(sql: Dialect, with_risk: bool, bases: str | None, influence: bool) -> str:
    """UPDATE the scored members from facts f."""
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
               loyalty_index = 100.0 * (1.0 - power(2.0, {sql.greatest}(-f.e / :t3, -1000.0))),
               stage_since = CASE WHEN f.cur IS NULL OR f.new <> f.cur THEN :now ELSE member.stage_since END,
               stage = {STAGE_NAME.format("f.new")}, {risk}
               stage_below_since = f.new_below {stored}
        FROM {{facts}} f WHERE member.id = f.member_id"""


def _unscored_sql(bases: str | None, members: str | None) -> str:
    """UPDATE the members among `members` (a SELECT of ids; None: the whole organisation) who are no longer
    scored: staff, bots, merged away, erased. Counters (from b) are kept all the same, except on an erased
    member's tombstone, which keeps the figures it had (its activity is gone; aggregates still count it)."""
    counters = """, activity_count = CASE WHEN erased_at IS NOT NULL THEN activity_count
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


def _stage(session: Session, org_id: int, model: Model, as_of: datetime, with_risk: bool, bases: str | None = None,
           influence: bool = False, everyone: bool = False) -> tuple[int, int]:
    """Score, loyalty index and stage of the members in temp table score_set, or of all the organisation's
    members (`everyone`); returns (stage changes, member rows written).
    Promote at once; demote only after `grace_days` below the bar (then straight to the stage earned).
    bases "sum": B and the member's counters (n, first_at, last_at) come from temp table score_bases and are
    stored; "full": also the active weeks, advocacy and recent score come from temp table score_rollup (see
    full). influence: the figures in temp table score_influence are stored too. Each member row is written
    once."""
    sql = Dialect(session)
    params = _stage_params(sql, org_id, model, as_of)
    # Everyone: the few unscored members through their partial index, not a key probe per member (migration
    # 0013; 11-20 ms a full run at size M).
    unscored = session.execute(text(_unscored_sql(bases, None if everyone else "SELECT member_id FROM score_set")
                                    .format(bases="score_bases")), params).rowcount or 0
    _temp(session, "score_facts", "member_id bigint, base double precision, e double precision, "
                                   "e_then double precision, cur integer, below timestamp with time zone, q integer, "
                                   "new integer, new_below timestamp with time zone, "
                                   "last_active timestamp with time zone, infl_raw double precision, "
                                   "infl_pct double precision, n bigint, first_at timestamp with time zone")
    members = "member m" + ("" if everyone else " JOIN score_set s ON s.member_id = m.id") + (
        " LEFT JOIN score_bases b ON b.member_id = m.id" if bases else "")
    session.execute(text(f"INSERT INTO score_facts ({FACT_COLUMNS}) "
                         + _facts_sql(sql, model, params, bases, influence, members)), params)
    changes = session.execute(text(_stage_change_sql().format(facts="score_facts")), params).rowcount or 0
    scored = session.execute(text(_scored_sql(sql, with_risk, bases, influence).format(facts="score_facts")),
                             params).rowcount or 0
    return changes, scored + unscored


def _influence(session: Session, org_id: int, as_of: datetime) -> None:
    """Over 90 days: distinct members who replied to, reacted to or mentioned a member, what they received,
    and reach log10(1 + followers); raw and as a percentile within the organisation, into temp table
    score_influence (_stage stores them). Pairs (target, source) first: that aggregate runs in parallel, a
    count(DISTINCT) would not."""
    sql = Dialect(session)
    params = {"org": org_id, "since": sql.ts(as_of - timedelta(days=INFLUENCE_DAYS)), "now": sql.ts(as_of)}
    # Double precision throughout: log10 of a numeric (1.0 + followers) cost 12 µs a member. The percentile in
    # the same statement: an UPDATE of every row of the temp table afterwards cost as much again. Staff and bot
    # sources come from the partial index of unscored members (a handful), not from hashing the organisation's
    # members for their flags (5 ms at size M); the organisation is spelled out, or PostgreSQL hashed every
    # member of every organisation (0.4 s for one organisation of an 800,000-member table).
    _temp_as(session, "score_influence", f"""
        SELECT x.member_id, x.raw,
               CASE WHEN x.raw > 0 THEN 100.0 * percent_rank() OVER (ORDER BY x.raw) ELSE 0.0 END AS pct
        FROM (SELECT m.id AS member_id,
                     CAST(coalesce(r.sources, 0) AS double precision) + 0.2 * CAST(coalesce(r.received, 0) AS
                     double precision) + 2.0 * log10(CAST(1 + coalesce(m.followers, 0) AS double precision)) AS raw
              FROM member m LEFT JOIN (
                  SELECT p.target AS member_id, count(*) AS sources, sum(p.n) AS received
                  FROM (SELECT a.target_member_id AS target, a.member_id AS source, count(*) AS n
                        FROM activity a
                        WHERE a.org_id = :org AND a.occurred_at >= :since AND a.occurred_at <= :now
                          AND a.target_member_id IS NOT NULL AND a.target_member_id <> a.member_id
                        GROUP BY a.target_member_id, a.member_id) p
                  WHERE p.source NOT IN (SELECT src.id FROM member src WHERE src.org_id = :org
                                           AND ({UNSCORED_MEMBER}) AND (src.is_staff OR src.is_bot))
                  GROUP BY p.target) r ON r.member_id = m.id
              WHERE {ELIGIBLE}) x""", params)


def touch(session: Session, org_id: int, **stamps: datetime) -> None:
    row = session.scalar(select(OrgScore).where(OrgScore.org_id == org_id))
    if row is None:
        row = OrgScore(org_id=org_id)
        session.add(row)
    for name, value in stamps.items():
        setattr(row, name, value)
    session.flush()


def state(session: Session, org_id: int) -> OrgScore | None:
    return session.scalar(select(OrgScore).where(OrgScore.org_id == org_id))


SCORE_JOBS = ("score_full", "score_daily")


def org_and_state(session: Session, slug: str) -> tuple[Organisation, OrgScore | None, JobRun | None] | None:
    """The organisation by its slug, its scoring stamps and its queued or running recompute, if any: one query
    for what the dashboard and its status line need first (the job row is read only while there is one)."""
    running = (select(JobRun.id).where(JobRun.org_id == Organisation.id, JobRun.kind.in_(SCORE_JOBS),
                                       JobRun.status.in_(("queued", "running")))
               .order_by(JobRun.id.desc()).limit(1).correlate(Organisation).scalar_subquery())
    row = session.execute(select(Organisation, OrgScore, running)
                          .outerjoin(OrgScore, OrgScore.org_id == Organisation.id)
                          .where(Organisation.slug == slug)).first()
    if row is None:
        return None
    return row[0], row[1], (session.get(JobRun, row[2]) if row[2] is not None else None)


# --- preview and explanation -------------------------------------------------------------------------

def preview(session: Session, org_id: int, model: Model, as_of: datetime | None = None) -> dict:
    """What saving `model` would do to stages: counts of members per (from, to), without writing anything.
    Promotions happen at once; demotions start the grace period."""
    as_of = as_of or utcnow()
    sql = Dialect(session)
    model = Model.from_settings(model.settings(), 0, day_number(as_of))
    today = day_number(as_of)
    params: dict = {"org": org_id, "today": today, "decay": _decay(model, as_of),
                    "weeks_from": today - WEEKS_WINDOW * 7, "adv_from": today - ADVOCACY_DAYS,
                    "tenure_cutoff": sql.ts(as_of - timedelta(days=model.tenure_days)),
                    "need_weeks": model.active_weeks}
    advocacy, promoters = _rule_params(model, params)
    contrib = _contrib(model, sql, params)
    rows = session.execute(text(f"""
        SELECT m.stage, CASE WHEN e >= :t4 AND adv > 0 THEN 'advocate'
                             WHEN e >= :t3 AND m.first_seen_at <= :tenure_cutoff THEN 'loyal'
                             WHEN e >= :t2 AND weeks >= :need_weeks THEN 'active'
                             WHEN e >= :t1 THEN 'participant' ELSE 'newcomer' END AS q, count(*)
        FROM member m JOIN (
            SELECT d.member_id, sum({contrib}) * :decay AS e,
                   count(DISTINCT CASE WHEN d.day > :weeks_from AND d.day <= :today THEN (:today - d.day) / 7 END)
                     AS weeks,
                   sum(CASE WHEN d.day > :adv_from AND d.day <= :today AND (d.type IN ({advocacy}) {promoters})
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
        if today - ADVOCACY_DAYS < day <= today and (kind in model.advocacy_types or
                                                     (model.advocacy_nps and promoters)):
            advocacy = True
    score = sum(by_type.values())
    tenure = (as_of - member.first_seen_at).days if member.first_seen_at else 0
    rank = STAGES.index(member.stage) if member.stage in STAGES else 0
    missing = []
    if rank + 1 < len(STAGES):
        target = STAGES[rank + 1]
        need = model.thresholds[target]
        if score < need:
            missing.append(("score", round(need - score, 1)))
        if target == "active" and len(weeks_active) < model.active_weeks:
            missing.append(("weeks", model.active_weeks - len(weeks_active)))
        if target == "loyal" and tenure < model.tenure_days:
            missing.append(("tenure", model.tenure_days - tenure))
        if target == "advocate" and not advocacy:
            missing.append(("advocacy", 1))
    else:
        target = None
    top = sorted(((k, v) for k, v in by_type.items() if v > 0.005), key=lambda kv: -kv[1])[:6]
    return {"score": score, "loyalty": model.loyalty(score), "top": top, "weekly": [round(v, 2) for v in weekly],
            "next": target, "missing": missing, "weeks_active": len(weeks_active), "tenure": tenure,
            "advocacy": advocacy, "model": model}
