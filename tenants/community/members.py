"""Members of one organisation: list, search, filter, page, and the member's public shape.

Listing uses keyset pagination (a cursor of the sort value and id), so page 500 costs what page 1 costs.
"""
from __future__ import annotations

import base64
import csv
import io
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import and_, func, or_, select, union
from sqlalchemy.orm import Session

from tenants.community.models import Identity, Member, MemberSearch, MemberTag
from tenants.core import sql
from tenants.core.spreadsheet import safe_cell

SORTS = ("last_active", "name", "score", "activity", "influence")
KINDS = ("people", "all", "staff", "bot", "at_risk")
NPS_GROUPS = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}
INT, BIGINT = 2**31 - 1, 2**63 - 1
SEGMENT_DATES = ("seen_from", "seen_to", "active_from", "active_to", "quiet_from", "quiet_to")


@dataclass
class MemberFilter:
    q: str | None = None
    channel: str | None = None
    tag: str | None = None
    stage: str | None = None
    kind: str = "people"          # people: neither staff nor bot
    external_id: str | None = None
    email: str | None = None
    sort: str = "last_active"
    # The dashboard's numbers link here with these (all dates inclusive, UTC days):
    seen_from: date | None = None       # first seen in a range (new members, a cohort)
    seen_to: date | None = None
    active_from: date | None = None     # active in a range
    active_to: date | None = None
    quiet_from: date | None = None      # no activity in a range (churned: active before, quiet now)
    quiet_to: date | None = None
    month: int | None = None            # stage movement: stage at the end of month - 1 → at the end of month
    from_stage: str | None = None       # "none": not a member at the end of the month before; None: any
    to_stage: str | None = None
    nps: str | None = None              # latest survey answer in the active range: promoter, passive, detractor
    activity_type: str | None = None    # with the active range: did this kind of activity in it
    activity_channel: str | None = None  # with the active range: was active on this channel in it

    def segment(self) -> dict[str, str]:
        """The dashboard segment as query parameters (to carry it from request to request)."""
        out = {name: getattr(self, name).isoformat() for name in SEGMENT_DATES if getattr(self, name)}
        if self.month is not None and self.to_stage:
            out.update(month=f"{self.month // 12:04d}-{self.month % 12 + 1:02d}", to_stage=self.to_stage)
            if self.from_stage:
                out["from_stage"] = self.from_stage
        if self.nps:
            out["nps"] = self.nps
        if self.activity_type:
            out["activity_type"] = self.activity_type
        if self.activity_channel:
            out["activity_channel"] = self.activity_channel
        return out


@dataclass
class Page:
    members: list[Member]
    next_cursor: str | None
    identities: dict[int, list[Identity]] = field(default_factory=dict)
    tags: dict[int, list[str]] = field(default_factory=dict)


def _sort_key(sort: str):
    """(column, descending). Nullable columns sort NULLS LAST, matching their indexes."""
    if sort == "name":
        return Member.sort_name, False
    if sort == "score":   # B ranks members as their current score does (migration 0012)
        return Member.score_base, True
    if sort == "activity":
        return Member.activity_count, True
    if sort == "influence":
        return Member.influence, True
    return Member.last_active_at, True


def live_members():
    """Members that still exist as themselves (not merged away, not erased)."""
    return select(Member).where(Member.merged_into_id.is_(None), Member.erased_at.is_(None))


def search_ids(q: str):
    """Members whose name, email, phone, handle or external id contains q: a union, so that each part can
    use its own trigram index (an OR across the two tables could use none). Names, emails and phones are read
    from member_search, which holds their copies and trigram indexes."""
    needle = f"%{q.strip().lower()}%"
    return union(
        select(MemberSearch.member_id).where(MemberSearch.sort_name.like(needle)),
        select(MemberSearch.member_id).where(MemberSearch.email.like(needle)),
        select(MemberSearch.member_id).where(MemberSearch.phone.like(needle)),
        select(Identity.member_id).where(func.lower(Identity.handle).like(needle)),
        select(Identity.member_id).where(func.lower(Identity.external_id).like(needle)),
    )


def encode_cursor(values: list) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> list | None:
    """The (sort value, id) a cursor names, or None when it is not one this sort could have made: a cursor
    comes from the query string, so its value must have the sort column's type and range before it is bound."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, last_id = json.loads(raw)
        value = _cursor_value(value, sort)
    except (ValueError, TypeError, OverflowError):
        return None
    if type(last_id) is not int or not 0 < last_id <= BIGINT:
        return None
    return [value, last_id]


def _cursor_value(value, sort: str):
    """The cursor's sort value as the column holds it; ValueError when it cannot be one."""
    if value is None and sort != "name" and sort != "activity":     # the nullable columns
        return None
    if sort == "name" and isinstance(value, str) and len(value) <= 200 and sql.storable(value):
        return value
    if sort == "activity" and type(value) is int and 0 <= value <= INT:
        return value
    if sort in ("score", "influence") and type(value) in (int, float) and math.isfinite(value):
        return float(value)
    if sort == "last_active" and isinstance(value, str) and len(value) <= 40:
        return datetime.fromisoformat(value)
    raise ValueError(f"not a {sort} cursor value")


def page(session: Session, stmt, sort: str, limit: int = 50, cursor: str | None = None) -> Page:
    """A page of the members `stmt` selects (select(Member)), in the sort's order, after the cursor."""
    sort = sort if sort in SORTS else "last_active"
    key, desc = _sort_key(sort)
    after = decode_cursor(cursor, sort) if cursor else None
    if after is not None:
        stmt = stmt.where(_after(key, desc, *after))
    order = (key.desc().nulls_last(), Member.id.desc()) if desc else (key.asc(), Member.id.asc())
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        value = {"name": last.sort_name, "score": last.score_base, "activity": last.activity_count,
                 "influence": last.influence,
                 "last_active": last.last_active_at}[sort]
        next_cursor = encode_cursor([value, last.id])
    return Page(rows, next_cursor, *details(session, [m.id for m in rows]))


def _after(key, desc: bool, value, last_id: int):
    """Rows after (value, last_id) in the page order; for descending nullable keys NULLs come last."""
    if not desc:
        return or_(key > value, and_(key == value, Member.id > last_id))
    if value is None:
        return and_(key.is_(None), Member.id < last_id)
    return or_(key < value, and_(key == value, Member.id < last_id), key.is_(None))


def details(session: Session, member_ids: list[int]) -> tuple[dict, dict]:
    """Identities and tags of a page of members, two queries for the whole page."""
    identities: dict[int, list[Identity]] = {}
    tags: dict[int, list[str]] = {}
    if member_ids:
        for ident in session.scalars(select(Identity).where(Identity.member_id.in_(member_ids))
                                     .order_by(Identity.channel, Identity.id)):
            identities.setdefault(ident.member_id, []).append(ident)
        for member_id, tag in session.execute(select(MemberTag.member_id, MemberTag.tag)
                                              .where(MemberTag.member_id.in_(member_ids)).order_by(MemberTag.tag)):
            tags.setdefault(member_id, []).append(tag)
    return identities, tags


def by_public_id(session: Session, public_id: str) -> Member | None:
    return session.scalar(select(Member).where(Member.public_id == public_id, Member.erased_at.is_(None)))


def merged_into(session: Session, m: Member) -> Member | None:
    """The member `m` was merged into (its survivor), if it was."""
    return session.get(Member, m.merged_into_id) if m.merged_into_id is not None else None


EXPORT_COLUMNS = ("id", "display_name", "email", "phone", "city", "identities", "tags", "is_staff", "is_bot",
                  "first_seen_at", "last_active_at", "activity_count")


def export_csv(session: Session, member_ids: list[int]) -> str:
    """The members as a spreadsheet-safe CSV (with a BOM, so Excel reads it as UTF-8), by name."""
    identities, tags = details(session, member_ids)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(EXPORT_COLUMNS)
    for m in session.scalars(select(Member).where(Member.id.in_(member_ids)).order_by(Member.sort_name)):
        d = as_dict(m, identities.get(m.id, []), tags.get(m.id, []))
        d["identities"] = " ".join(f"{i['channel']}:{i['handle'] or i['external_id']}" for i in d["identities"])
        d["tags"] = ", ".join(d["tags"])
        w.writerow([safe_cell(d[column]) for column in EXPORT_COLUMNS])
    return "\ufeff" + out.getvalue()


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")


def as_dict(m: Member, identities: list[Identity], tags: list[str]) -> dict:
    """The member object of the API (and of the privacy export's core)."""
    return {
        "id": m.public_id,
        "display_name": m.display_name,
        "kind": m.kind,
        "email": m.email,
        "phone": m.phone,
        "city": m.city,
        "identities": [{"channel": i.channel, "external_id": i.external_id, "handle": i.handle} for i in identities],
        "tags": tags,
        "attributes": m.attributes or {},
        "followers": m.followers,
        "is_staff": m.is_staff,
        "is_bot": m.is_bot,
        "first_seen_at": iso(m.first_seen_at),
        "last_active_at": iso(m.last_active_at),
        "activity_count": m.activity_count,
        "engagement_score": None if m.score is None else round(m.score, 4),
        "loyalty_index": None if m.loyalty_index is None else round(m.loyalty_index, 2),
        "stage": m.stage,
        "at_risk": bool(m.at_risk),
        "influence": None if m.influence is None else round(m.influence, 2),
        "scored_at": iso(m.score_at),
    }
