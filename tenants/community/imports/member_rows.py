"""Members from a file: each row checked as it will be stored (`parse`); then create the unknown, update the
known, and change nothing on a second run."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from tenants.agency import jobs
from tenants.community import values
from tenants.community.imports import csvfile
from tenants.community.ingest import resolve_members, sort_name
from tenants.community.models import Member
from tenants.community.profile import (
    CommunityError,
    add_tag,
    attribute_defs,
    clean_tag,
    coerce_attribute,
    normalise_phone,
)
from tenants.community.rescore import mark_pending
from tenants.community.validate import IdentityRef, ItemError
from tenants.community.values import limit

MAX_PHONE_TEXT = 64             # a phone as written ("+7 (999) 111-22-33 доб. 5"), before it is normalised
MAX_ATTRIBUTE_TEXT = 500        # a custom attribute's text
MAX_ATTRIBUTES_BYTES = 16_000


@dataclass
class MemberCounts:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(slots=True)
class MemberRow:
    identity: IdentityRef
    phone: str | None
    city: str | None
    tags: list[str]
    followers: int | None
    attributes: dict


def definitions(session: Session, org_id: int) -> dict:
    return {d.key: d for d in attribute_defs(session, org_id)}


def parse(cells: list[str], mapping: list[str], default_channel: str, defs: dict) -> MemberRow:
    """One row of a members file, every value checked as it will be stored (defs: definitions())."""
    found = csvfile.cells_of(cells, mapping)
    member = csvfile.row_identity(found, default_channel)
    followers = values.whole(found["followers"], "followers", 0, values.INT_MAX) if found.get("followers") else None
    city = values.text(found.get("city"), "city", limit(Member.city), required=False)
    raw_phone = values.text(found.get("phone"), "phone", MAX_PHONE_TEXT, required=False)
    try:
        phone = normalise_phone(raw_phone)
    except CommunityError:
        raise ItemError("phone %(value)s is not a phone number", value=csvfile.shown(raw_phone)) from None
    tags = []
    for tag in re.split(r"[,;|]", found.get("tags", "")):
        if tag.strip():
            try:
                tags.append(clean_tag(tag))
            except CommunityError:
                raise ItemError("tag %(value)s: tags are up to 64 letters, digits, spaces or . : + - / _",
                                value=csvfile.shown(tag.strip())) from None
    return MemberRow(member, phone, city, tags, followers, _attributes(found, defs))


def _attributes(found: dict[str, str], defs: dict) -> dict:
    clean = {}
    for field, raw in found.items():
        key = field[5:] if field.startswith("attr:") else None
        if key not in defs:
            continue
        raw = values.text(raw, defs[key].label, MAX_ATTRIBUTE_TEXT)
        try:
            clean[key] = coerce_attribute(defs[key], raw)
        except CommunityError:
            raise ItemError("%(label)s: %(value)s is not a valid %(kind)s", label=defs[key].label,
                            value=csvfile.shown(raw), kind=defs[key].kind) from None
    return values.document(clean, "attributes", MAX_ATTRIBUTES_BYTES, 1)


def upsert(session: Session, org_id: int, rows: list[MemberRow]) -> MemberCounts:
    counts = MemberCounts()
    if not rows:
        return counts
    mapping, created = resolve_members(session, org_id, [r.identity for r in rows])
    ids = {mapping[r.identity.key] for r in rows}
    current = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(ids)))}
    changes: dict[int, dict] = {}
    for row in rows:
        member_id = mapping[row.identity.key]
        m = current[member_id]
        wanted = {"display_name": row.identity.display_name, "email": row.identity.email, "phone": row.phone,
                  "city": row.city, "followers": row.followers}
        change = changes.setdefault(member_id, {})
        for name, value in wanted.items():
            if value not in (None, "") and getattr(m, name) != value and change.get(name) != value:
                change[name] = value
        attrs = {**(m.attributes or {}), **(change.get("attributes") or {})}
        merged = {**attrs, **{k: v for k, v in row.attributes.items() if v is not None}}
        if merged != (m.attributes or {}):
            change["attributes"] = merged
    tag_rows = {(mapping[r.identity.key], t) for r in rows for t in r.tags}
    tagged_members: set[int] = set()
    for tag in {t for _m, t in tag_rows}:
        members_with_tag = [m for m, t in tag_rows if t == tag]
        if add_tag(session, members_with_tag, tag):
            tagged_members.update(members_with_tag)
    updates = []
    for member_id, change in changes.items():
        if not change:
            continue
        m = current[member_id]
        fields = {name: change.get(name, getattr(m, name)) for name in
                  ("display_name", "email", "phone", "city", "followers", "attributes")}
        fields["sort_name"] = sort_name(fields["display_name"])
        updates.append({"mid": member_id, **fields})
    if updates:
        table = Member.__table__
        session.execute(update(table).where(table.c.id == bindparam("mid")).values(
            {k: bindparam(k) for k in ("display_name", "sort_name", "email", "phone", "city", "followers",
                                       "attributes")}), updates)
    if created:     # new members are scored (as newcomers) by the incremental job, as ingest's are
        mark_pending(session, org_id, {(m, -1) for m in created})
        jobs.request(session, jobs.SCORE_INCREMENTAL, org_id)
    changed = {u["mid"] for u in updates} | tagged_members
    for member_id in ids:
        if member_id in created:
            counts.imported += 1
        elif member_id in changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts
