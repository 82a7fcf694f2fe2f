"""UTC day numbers: activity rollups (member_day, org_day) and scores count days since 1970-01-01."""
from __future__ import annotations

import math
from datetime import UTC, date, datetime

EPOCH = date(1970, 1, 1)


def day_number(moment: datetime) -> int:
    """The UTC day a moment falls on."""
    return math.floor(moment.timestamp() / 86400)


def day_start(day: int) -> datetime:
    """The UTC moment a day number begins."""
    return datetime.fromtimestamp(day * 86400, UTC)


def day_of(d: date) -> int:
    """The day number of a calendar date."""
    return (d - EPOCH).days


def midnight(d: date) -> datetime:
    """The UTC moment a calendar date begins."""
    return day_start(day_of(d))
