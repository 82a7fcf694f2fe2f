"""The portfolio's figures for many organisations at once, read from what the metrics pass stored.

Each KPI keeps its one definition in the registry (tenants.kpis); a past day's value there comes from that day's
org_day row. The portfolio reads the same stored values for every organisation in one statement: the latest
org_day row of each (the day its last metrics pass ran, which holds the day's snapshot: members, stages, at
risk, the 30-day window's KPIs) and the row 30 days before it. tests/tenants/portfolio proves every figure equal
to `kpis.compute` for the same organisation and day."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.core.days import EPOCH
from tenants.kpis.figures import share
from tenants.metrics.dashboard import change

BEFORE_DAYS = 30        # the change of a figure is against the stored day this many days earlier

# One row per organisation: its latest stored day (l) and the day BEFORE_DAYS earlier (p), only the keys the
# portfolio shows taken out of the JSON (the latest row also carries the monthly figures, which stay put).
_STORED = """
    SELECT o.id, l.day,
           (l.data ->> 'members')::int, (l.data -> 'stages' ->> 'loyal')::int,
           (l.data -> 'stages' ->> 'advocate')::int, (l.data ->> 'at_risk')::int, (l.data ->> 'mau')::int,
           (l.data -> 'windows' -> '30' -> 'now' -> 'nps' ->> 'score')::int,
           (p.data ->> 'members')::int, (p.data ->> 'at_risk')::int, (p.data ->> 'mau')::int
    FROM unnest(CAST(:ids AS bigint[])) AS o(id)
    CROSS JOIN LATERAL (SELECT d.day, d.data FROM org_day d WHERE d.org_id = o.id ORDER BY d.day DESC LIMIT 1) l
    LEFT JOIN org_day p ON p.org_id = o.id AND p.day = l.day - :before"""

# The newest activity of each organisation (ix_activity_org_time: one index probe per organisation).
_LAST_DATA = """
    SELECT o.id, (SELECT max(a.occurred_at) FROM activity a WHERE a.org_id = o.id)
    FROM unnest(CAST(:ids AS bigint[])) AS o(id)"""


@dataclass
class Figures:
    """An organisation's portfolio figures on `day` (the day its last metrics pass stored); None is no data."""
    day: date | None = None
    members: int | None = None
    active_30d: int | None = None
    active_30d_before: int | None = None
    loyal_advocates: int | None = None
    at_risk_share: float | None = None
    at_risk_share_before: float | None = None
    nps: int | None = None
    last_data_at: datetime | None = None

    @property
    def active_change(self) -> float | None:
        """Percent change of active (30 days) against BEFORE_DAYS earlier."""
        return change(self.active_30d, self.active_30d_before)


def stored(session: Session, org_ids: list[int]) -> dict[int, Figures]:
    """The figures of every organisation in `org_ids` (two statements whatever their number)."""
    out = {org_id: Figures() for org_id in org_ids}
    if not org_ids:
        return out
    params = {"ids": list(org_ids), "before": BEFORE_DAYS}
    for (org_id, day, members, loyal, advocate, at_risk, mau, nps,
         p_members, p_at_risk, p_mau) in session.execute(text(_STORED), params):
        has_snapshot = members is not None
        out[org_id] = Figures(
            day=EPOCH + timedelta(days=day),
            members=members,
            active_30d=mau,
            active_30d_before=p_mau,
            loyal_advocates=(loyal or 0) + (advocate or 0) if has_snapshot else None,
            at_risk_share=share(at_risk or 0, members) if has_snapshot else None,
            at_risk_share_before=share(p_at_risk or 0, p_members) if p_members is not None else None,
            nps=nps)
    for org_id, last in session.execute(text(_LAST_DATA), params):
        out[org_id].last_data_at = last
    return out
