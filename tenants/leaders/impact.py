"""What a leader does for the community: influence by month, the members they reach (and how many of those are
new or rising), and the impact of each touchpoint: the activity of the leader and of the people they reach in
the IMPACT_DAYS after it against the IMPACT_DAYS before."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.community.models import UNSCORED_MEMBER
from tenants.core.base import utcnow
from tenants.core.days import midnight
from tenants.leaders.models import Leader

IMPACT_DAYS = 60
REACH_DAYS = 90     # "the people they reach": who interacted with the leader, either way, in this window
MONTHS = 12

_MONTHLY = text(f"""
    SELECT CAST(date_trunc('month', a.occurred_at AT TIME ZONE 'UTC') AS date) AS month,
           count(DISTINCT a.member_id) AS people, count(*) AS n
    FROM activity a
    WHERE a.target_member_id = :m AND a.member_id <> :m AND a.occurred_at >= :since AND a.occurred_at <= :now
      AND a.member_id NOT IN (SELECT x.id FROM member x WHERE x.org_id = :org AND ({UNSCORED_MEMBER}))
    GROUP BY 1""")

# The members who interacted with the leader (answered, reacted to, mentioned them, or were answered by them)
# in the window, with how often, whether they are new (first seen in the window) and rising (moved up a stage).
_REACHED = text("""
    WITH people AS (
        SELECT x.id, count(*) AS n FROM (
            SELECT a.member_id AS id FROM activity a
            WHERE a.target_member_id = :m AND a.member_id <> :m AND a.occurred_at >= :since AND a.occurred_at <= :now
            UNION ALL
            SELECT a.target_member_id FROM activity a
            WHERE a.member_id = :m AND a.target_member_id IS NOT NULL AND a.target_member_id <> :m
              AND a.occurred_at >= :since AND a.occurred_at <= :now) x
        GROUP BY x.id)
    SELECT p.id, p.n, m.public_id, m.display_name, m.stage,
           coalesce(m.first_seen_at >= :since, false) AS new,
           EXISTS (SELECT 1 FROM stage_change c WHERE c.member_id = p.id AND c.changed_at >= :since
                     AND c.from_stage IS NOT NULL AND {up}) AS rising
    FROM people p JOIN member m ON m.id = p.id
    WHERE m.org_id = :org AND m.erased_at IS NULL AND m.merged_into_id IS NULL AND NOT m.is_staff AND NOT m.is_bot
    ORDER BY p.n DESC, m.sort_name, m.id""".format(up="""
        (CASE c.to_stage WHEN 'newcomer' THEN 0 WHEN 'participant' THEN 1 WHEN 'active' THEN 2 WHEN 'loyal' THEN 3
              WHEN 'advocate' THEN 4 END) >
        (CASE c.from_stage WHEN 'newcomer' THEN 0 WHEN 'participant' THEN 1 WHEN 'active' THEN 2 WHEN 'loyal' THEN 3
              WHEN 'advocate' THEN 4 END)"""))

# Per touchpoint (its day as the UTC midnight t): the leader's activity and their people's in [t - 60 d, t) and
# [t, t + 60 d); their people are those who interacted with the leader in the REACH_DAYS before t.
_IMPACT = text("""
    SELECT t.id, own.before, own.after, people.n, theirs.before, theirs.after
    FROM (SELECT tp.id, CAST(tp.day AS timestamp) AT TIME ZONE 'UTC' AS at FROM touchpoint tp
          WHERE tp.leader_id = :leader) t
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE a.occurred_at < t.at) AS before,
               count(*) FILTER (WHERE a.occurred_at >= t.at) AS after
        FROM activity a WHERE a.member_id = :m AND a.occurred_at >= t.at - :span AND a.occurred_at < t.at + :span) own
    CROSS JOIN LATERAL (
        SELECT coalesce(array_agg(DISTINCT x.id), CAST(ARRAY[] AS bigint[])) AS ids, count(DISTINCT x.id) AS n FROM (
            SELECT a.member_id AS id FROM activity a
            WHERE a.target_member_id = :m AND a.occurred_at >= t.at - :reach AND a.occurred_at < t.at
            UNION ALL
            SELECT a.target_member_id FROM activity a
            WHERE a.member_id = :m AND a.target_member_id IS NOT NULL
              AND a.occurred_at >= t.at - :reach AND a.occurred_at < t.at) x
        WHERE x.id <> :m) people
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE a.occurred_at < t.at) AS before,
               count(*) FILTER (WHERE a.occurred_at >= t.at) AS after
        FROM activity a WHERE a.member_id = ANY(people.ids)
          AND a.occurred_at >= t.at - :span AND a.occurred_at < t.at + :span) theirs""")


@dataclass
class Impact:
    """A touchpoint's measured effect. `ready` is False while IMPACT_DAYS have not passed since it ("too
    early"): the figures so far are kept but not compared."""
    ready: bool
    own_before: int
    own_after: int
    people: int
    people_before: int
    people_after: int

    @staticmethod
    def change(before: int, after: int) -> int | None:
        """The change in percent, None when there was nothing before."""
        return None if before == 0 else round(100.0 * (after - before) / before)

    @property
    def own_change(self) -> int | None:
        return self.change(self.own_before, self.own_after)

    @property
    def people_change(self) -> int | None:
        return self.change(self.people_before, self.people_after)


@dataclass
class Reached:
    total: int
    new: int
    rising: int
    top: list     # (public_id, name, stage, interactions, new, rising), the most frequent first


def monthly(session: Session, leader: Leader, now: datetime | None = None) -> list[tuple[date, int, int]]:
    """The last MONTHS calendar months (oldest first): distinct members who answered, reacted to or mentioned the
    leader, and how often."""
    now = now or utcnow()
    months = []
    y, mo = now.year, now.month
    for _ in range(MONTHS):
        months.append(date(y, mo, 1))
        y, mo = (y, mo - 1) if mo > 1 else (y - 1, 12)
    months.reverse()
    since = datetime(months[0].year, months[0].month, 1, tzinfo=UTC)
    found = {row.month: (row.people, row.n) for row in session.execute(
        _MONTHLY, {"m": leader.member_id, "org": leader.org_id, "since": since, "now": now})}
    return [(m, *found.get(m, (0, 0))) for m in months]


def reached(session: Session, leader: Leader, now: datetime | None = None, top: int = 20) -> Reached:
    now = now or utcnow()
    rows = session.execute(_REACHED, {"m": leader.member_id, "org": leader.org_id, "now": now,
                                      "since": now - timedelta(days=REACH_DAYS)}).all()
    return Reached(total=len(rows), new=sum(1 for r in rows if r.new), rising=sum(1 for r in rows if r.rising),
                   top=[(r.public_id, r.display_name, r.stage, r.n, r.new, r.rising) for r in rows[:top]])


def touchpoint_impact(session: Session, leader: Leader, now: datetime | None = None) -> dict[int, Impact]:
    """Every touchpoint of the leader by id, in one statement."""
    now = now or utcnow()
    days = {tp_id: day for tp_id, day in session.execute(
        text("SELECT id, day FROM touchpoint WHERE leader_id = :leader"), {"leader": leader.id})}
    out = {}
    for tp_id, own_b, own_a, people, their_b, their_a in session.execute(
            _IMPACT, {"leader": leader.id, "m": leader.member_id, "span": timedelta(days=IMPACT_DAYS),
                      "reach": timedelta(days=REACH_DAYS)}):
        ready = midnight(days[tp_id]) + timedelta(days=IMPACT_DAYS) <= now
        out[tp_id] = Impact(ready, own_b, own_a, people, their_b, their_a)
    return out
