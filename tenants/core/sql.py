"""SQL spellings shared by scoring, metrics and member lists. Each returns an SQL expression over the column
(or expression) it is given; values always travel as bound parameters, never in the text."""
from __future__ import annotations

import re

# Ends a sub-select PostgreSQL must not fold into the query around it (it would evaluate the sub-select's
# expressions once per mention).
FENCE = "OFFSET 0"


def day(col: str) -> str:
    """The UTC day number of a timestamp. Date arithmetic: extract(epoch) is numeric since PostgreSQL 14, and
    slow."""
    return f"(({col} AT TIME ZONE 'UTC')::date - DATE '1970-01-01')"


def month_of_day(col: str) -> str:
    """Calendar month (year * 12 + month - 1) of a day number."""
    return (f"CAST(EXTRACT(YEAR FROM DATE '1970-01-01' + {col}) * 12 "
            f"+ EXTRACT(MONTH FROM DATE '1970-01-01' + {col}) - 1 AS integer)")


def month_of_ts(col: str) -> str:
    """Calendar month (year * 12 + month - 1) of a stored UTC timestamp."""
    return (f"CAST(EXTRACT(YEAR FROM {col} AT TIME ZONE 'UTC') * 12 "
            f"+ EXTRACT(MONTH FROM {col} AT TIME ZONE 'UTC') - 1 AS integer)")


def weeks_active(day_col: str, today: str = ":today", since: str = ":weeks_from") -> str:
    """Aggregate: distinct weeks (counted back from `today`) with activity on days in (since, today]. A bit per
    week: bit_or aggregates in parallel and without sorting, count(DISTINCT) does not."""
    return (f"coalesce(bit_count(CAST(bit_or(CASE WHEN {day_col} > {since} AND {day_col} <= {today} "
            f"THEN 1 << (({today} - {day_col}) / 7) ELSE 0 END) AS bit(8))), 0)")


def type_code(col: str) -> str:
    """A number per activity type, for the rollup checksum."""
    return f"hashtext({col})"


def nps(meta: str) -> str:
    """A survey answer's 0-10 score from its meta JSON (NULL when it has none or it is not a 0-10 number)."""
    return f"CASE WHEN ({meta}->>'nps') ~ '^[0-9]{{1,2}}$' THEN ({meta}->>'nps')::int END"


# What PostgreSQL text cannot hold: NUL, and lone surrogates (UTF-8 cannot encode one).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> bool:
    """Whether PostgreSQL can take `text` as a text value."""
    return UNSTORABLE.search(text) is None
