"""The agency's portfolio: one row per client organisation the user may see, with its figures, goals, next
report and the reasons it needs attention; sorted on any column; as CSV."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from tenants.agency.models import Organisation
from tenants.core.base import utcnow
from tenants.core.spreadsheet import safe_cell
from tenants.portfolio import attention
from tenants.portfolio.attention import Reason
from tenants.portfolio.figures import Figures, stored

GOAL_STATES = ("on_track", "at_risk", "behind")


@dataclass
class Row:
    org: Organisation
    figures: Figures
    goals: dict[str, int] = field(default_factory=dict)
    attention: list[Reason] = field(default_factory=list)
    next_report: date | None = None

    def goal(self, state: str) -> int:
        return self.goals.get(state, 0)


def next_report(today: date) -> date:
    """Monthly reports are made on the 1st: the 1st of the month after `today`."""
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


# Sort keys: the column's value (None sorts last whichever the direction).
SORTS: dict[str, Callable[[Row], object]] = {
    "name": lambda r: r.org.name.casefold(),
    "members": lambda r: r.figures.members,
    "active": lambda r: r.figures.active_30d,
    "change": lambda r: r.figures.active_change,
    "loyal": lambda r: r.figures.loyal_advocates,
    "at_risk": lambda r: r.figures.at_risk_share,
    "nps": lambda r: r.figures.nps,
    "goals": lambda r: (r.goal("behind"), r.goal("at_risk")),
    "last_data": lambda r: r.figures.last_data_at,
    "attention": lambda r: len(r.attention),
}
DEFAULT_SORT = "-attention"


def parse_sort(value: str | None) -> tuple[str, bool]:
    """'-members' → ("members", descending); anything unknown is the default (needs attention first)."""
    value = value or DEFAULT_SORT
    key, desc = (value[1:], True) if value.startswith("-") else (value, False)
    return (key, desc) if key in SORTS else parse_sort(DEFAULT_SORT)


def ordered(rows: list[Row], sort: str | None) -> list[Row]:
    """Rows sorted on the column `sort` names (see parse_sort), no data last, then by name."""
    key, desc = parse_sort(sort)
    by_name = sorted(rows, key=lambda r: (r.org.name.casefold(), r.org.id))
    known = [r for r in by_name if SORTS[key](r) is not None]
    unknown = [r for r in by_name if SORTS[key](r) is None]
    return sorted(known, key=SORTS[key], reverse=desc) + unknown


def rows(session: Session, orgs: list[Organisation], sort: str | None = None,
         now: datetime | None = None) -> list[Row]:
    """The portfolio of `orgs` (the organisations the user may see: tenants.agency.access.visible_orgs), in a
    fixed number of statements whatever their number."""
    now = now or utcnow()
    ids = [o.id for o in orgs]
    figures = stored(session, ids)
    goals, waiting, quiet, failed = attention.lookups(session, ids, now)
    out = []
    for org in orgs:
        f = figures[org.id]
        out.append(Row(org, f, goals.get(org.id, {}),
                       attention.reasons(org, f, goals.get(org.id, {}), waiting.get(org.id, 0),
                                         quiet.get(org.id, 0), failed.get(org.id), now),
                       next_report(now.date())))
    return ordered(out, sort)


CSV_COLUMNS = ("organisation", "members", "active_30d", "active_30d_change_percent", "loyal_advocates",
               "at_risk_share_percent", "nps_30d", "goals_on_track", "goals_at_risk", "goals_behind",
               "last_data_received", "next_report", "figures_of_day", "needs_attention")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return safe_cell(value)


def csv_text(rows: list[Row]) -> str:
    """The rows as CSV (the columns of CSV_COLUMNS; no data is an empty cell, never 0; formula-safe cells)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)
    for r in rows:
        f = r.figures
        w.writerow([_cell(v) for v in (
            r.org.name, f.members, f.active_30d, f.active_change, f.loyal_advocates, f.at_risk_share, f.nps,
            r.goal("on_track"), r.goal("at_risk"), r.goal("behind"), f.last_data_at, r.next_report, f.day,
            " ".join(reason.code for reason in r.attention))])
    return out.getvalue()
