"""Values that break careless parsing, and a small organisation to aim them at (the fuzz suite)."""
from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from hypothesis import strategies as st
from sqlalchemy import select

from tenants.community.models import Member
from tenants.community.validate import ActivityIn, IdentityRef
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tests.support import factories


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# What the probe tried and a careless parser lets through: NUL, odd dates, numbers past every column, cursors
# of the wrong type or out of range, bad percent-encodings (sent as they are: see `encode`).
ODD = ["\x00", "a\x00b", "9999-12-31", "0001-01-01", "10000-01-01", "2026-02-30", "1e20", "-1", "0", "-0",
       "99999999999999999999999", str(2**63), str(-(2**63) - 1), "NaN", "Infinity", "١٢", "1_000", " 7 ",
       "%ff%fe", "%", "%zz", "%ED%A0%80", "\ud800", "\U0001f600", "' OR 1=1 --", "x" * 1200,
       _cursor(["x", 2**70]), _cursor([5, 1]), _cursor(["abc", 1]), _cursor([1e308, 1]), _cursor([None, 2**64]),
       _cursor(["9999-12-31T23:59:59", 1]), _cursor(["0001-01-01T00:00:00+14:00", 1]), _cursor([[1], 1]),
       _cursor(["\u0000", 1]), _cursor(["\ud800", 1]), _cursor([1, -1]), _cursor({"a": 1}), _cursor("x"),
       "2026-01-01T00:00:00_99999999999999999999999", "9999-12-31T23:59:59+00:00_1", "0001-01-01_1", "_"]

# Every query parameter a view reads, and a few it does not.
NAMES = ["q", "tag", "channel", "cursor", "seen_from", "seen_to", "active_from", "active_to", "quiet_from",
         "quiet_to", "month", "from_stage", "to_stage", "nps", "activity_type", "activity_channel", "start", "end",
         "days", "offset", "before", "type", "kind", "sort", "stage", "limit", "external_id", "email", "action",
         "was", "next", "lang", "page", "id", "rules", "from", "kpi", "template", "segment"]

values = st.one_of(
    st.sampled_from(ODD),
    st.text(max_size=30),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
)
names = st.one_of(st.sampled_from(NAMES), st.text(max_size=12))


def encode(value: str) -> str:
    """`value` percent-encoded as UTF-8 (lone surrogates too, as the bytes a client could send), except the
    entries of ODD that are already percent sequences, which go out as they are."""
    if value.startswith("%"):
        return value
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs)


def organisation():
    """Agency Acme (owner o@acme.test), organisation Coffee with three members and their activity, a manager and
    a client of Coffee."""
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    now = datetime.now(UTC)
    acts = [ActivityIn(IdentityRef("telegram", ext, display_name=ext.title()), kind, now - timedelta(days=n),
                       f"seed-{ext}-{n}", "telegram")
            for ext, kind in (("ann", "message"), ("bob", "reply"), ("cat", "post")) for n in range(3)]
    factories.ingest_into(a, o, acts)
    factories.settle(a, o)
    factories.person(a, "m@acme.test", "manager", [o.id])
    factories.person(a, "c@acme.test", "client", [o.id])
    with tenant_scope(a.id, o.id), job_session() as s:
        member_id = s.scalar(select(Member.public_id).where(Member.display_name == "Ann"))
    return a, o, member_id


def published_report(a, o) -> str:
    """A published report of the organisation for the last 30 days; its public id."""
    from tenants.agency import orgs
    from tenants.core.audit import Actor
    from tenants.metrics.dashboard import Period
    from tenants.reports import service
    today = datetime.now(UTC).date()
    with tenant_scope(a.id, o.id), job_session() as s:
        r = service.generate(s, orgs.by_slug(s, o.slug), Period(today - timedelta(days=29), today), False,
                             Actor(email="t"))
        service.approve(s, r, Actor(email="t"))
        service.publish(s, r, Actor(email="t"))
        s.commit()
        return r.public_id
