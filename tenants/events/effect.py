"""What an event did to loyalty: the attendees' change in engagement score and stage over 30 and 60 days after
the event, against comparable members who did not attend.

Definition (one statement per horizon, set-based):
- Standing on the event day: score and stage at the start of the event's UTC day (standing.py: the scoring
  model's closed form over the rollup for the score; the stage history, else the stage rules, for the stage).
  The horizon's standing is the same at the start of the day `h` days later.
- Comparable: a member of the organisation, seen before the event day, who did not attend (a registered no-show
  is one), in the same stage on the event day and with a score within ±TOLERANCE of the attendee's (at least
  ±FLOOR points, so that members near zero find their like). Each attendee is compared with the mean of their
  own comparable members; attendees with none are left out and counted.
- Reported: how many attendees and how many distinct comparable members were compared, each side's mean change
  of score and of stage (in steps of the ladder) and share moved up, and the difference of the means
  (attendees minus comparable members, i.e. the mean over attendees of their own difference). The check-in
  itself is part of the attendees' change: its own term at the horizon (attendance weight × 2^(−h/half-life))
  is given beside the difference.
- "Too few to tell" under MIN_GROUP on either side; "not yet" while the horizon has not passed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.core.base import utcnow
from tenants.core.days import day_number, day_start
from tenants.events import standing
from tenants.events.models import Event
from tenants.scoring.sql import ELIGIBLE

HORIZONS = (30, 60)
MIN_GROUP = 10          # fewer attendees or comparable members than this: too few to tell
TOLERANCE = 0.2         # a comparable member's score on the day within ±20% of the attendee's
FLOOR = 0.5             # ...or within ±0.5 points, whichever is wider


@dataclass
class Horizon:
    days: int
    known: bool                          # the horizon has passed
    days_left: int = 0
    attendees: int = 0                   # attendees compared (with at least one comparable member)
    unmatched: int = 0                   # attendees with no comparable member (or not yet members on the day)
    others: int = 0                      # distinct comparable members
    score: tuple[float, float] | None = None      # mean change of score: (attendees, comparable)
    stage: tuple[float, float] | None = None      # mean change of stage in steps
    moved_up: tuple[float, float] | None = None   # share who moved up a stage or more
    own: float = 0.0                     # the check-in's own term of the attendees' score at the horizon

    @property
    def verdict(self) -> str:
        """"not_yet", "too_few" or "shown"."""
        if not self.known:
            return "not_yet"
        return "too_few" if self.attendees < MIN_GROUP or self.others < MIN_GROUP else "shown"

    @property
    def score_diff(self) -> float | None:
        return self.score[0] - self.score[1] if self.score else None

    @property
    def stage_diff(self) -> float | None:
        return self.stage[0] - self.stage[1] if self.stage else None


_COMPARE = """
    WITH went AS (SELECT member_id FROM registration WHERE event_id = :event AND checked_in_at IS NOT NULL),
    s AS (
        SELECT b.member_id, b.e AS e0, b.rank AS r0, h.e - b.e AS de, h.rank - b.rank AS dr,
               CASE WHEN h.rank > b.rank THEN 1.0 ELSE 0.0 END AS up, w.member_id IS NOT NULL AS went
        FROM ev_standing b JOIN ev_standing h ON h.member_id = b.member_id AND h.day = :hday
        LEFT JOIN went w ON w.member_id = b.member_id
        WHERE b.day = :day0 AND b.rank IS NOT NULL AND h.rank IS NOT NULL),
    pairs AS (
        SELECT a.member_id AS a_id, c.member_id AS c_id, c.de, c.dr, c.up
        FROM s a JOIN s c ON c.r0 = a.r0 AND NOT c.went AND abs(c.e0 - a.e0) <= greatest(:tol * a.e0, :floor)
        WHERE a.went),
    per AS (SELECT a_id, avg(de) AS de, avg(dr) AS dr, avg(up) AS up FROM pairs GROUP BY a_id)
    SELECT count(*), avg(a.de), avg(p.de), avg(a.dr), avg(p.dr), avg(a.up), avg(p.up),
           (SELECT count(DISTINCT c_id) FROM pairs), (SELECT count(*) FROM went)
    FROM s a JOIN per p ON p.a_id = a.member_id WHERE a.went"""


def of_event(session: Session, event: Event, now: datetime | None = None) -> list[Horizon]:
    """The comparison at each of HORIZONS (those not passed yet say how many days remain)."""
    now = now or utcnow()
    day0 = day_number(event.starts_at)
    out = []
    for h in HORIZONS:
        passed = now >= day_start(day0 + h)
        left = 0 if passed else math.ceil((day_start(day0 + h) - now).total_seconds() / 86400)
        out.append(Horizon(h, passed, left))
    known = [x for x in out if x.known]
    if not known:
        return out
    model = standing.compute(session, event.org_id, f"""
        SELECT m.id AS member_id, d.day FROM member m CROSS JOIN unnest(CAST(:days AS integer[])) AS d(day)
        WHERE {ELIGIBLE} AND m.first_seen_at < :ts0""",
        {"days": [day0] + [day0 + x.days for x in known], "ts0": day_start(day0)})
    for x in known:
        row = session.execute(text(_COMPARE), {"event": event.id, "day0": day0, "hday": day0 + x.days,
                                               "tol": TOLERANCE, "floor": FLOOR}).one()
        x.attendees, x.others = int(row[0]), int(row[7])
        x.unmatched = int(row[8]) - x.attendees
        if x.attendees:
            x.score, x.stage, x.moved_up = (row[1], row[2]), (float(row[3]), float(row[4])), \
                (float(row[5]), float(row[6]))
        x.own = model.weights.get("event_attendance", 0.0) * 2.0 ** (-x.days / model.half_life_days)
    return out
