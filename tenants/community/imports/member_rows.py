"""Members from a file: create the unknown, update the known, and change nothing on a second run."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from tenants.agency import jobs
from tenants.community.imports.csvfile import MemberRow
from tenants.community.ingest import resolve_members
from tenants.community.models import Member
from tenants.community.profile import CommunityError, add_tag, attribute_defs, coerce_attribute, normalise_phone
from tenants.community.rescore import mark_pending
from tenants.community.validate import ItemError


@dataclass
class MemberCounts:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0


def definitions(session: Session, org_id: int) -> dict:
    return {d.key: d for d in attribute_defs(session, org_id)}


def validate(defs: dict, row: MemberRow) -> MemberRow:
    """Check what ingest's identity check cannot: phone and custom attribute values (defs: definitions())."""
    try:
        row.phone = normalise_phone(row.phone)
    except CommunityError:
        raise ItemError("phone %(value)s is not a phone number", value=repr(row.phone)) from None
    clean = {}
    for key, value in row.attributes.items():
        if key not in defs:
            continue
        try:
            clean[key] = coerce_attribute(defs[key], value)
        except CommunityError:
            raise ItemError("%(label)s: %(value)s is not a valid %(kind)s", label=defs[key].label, value=repr(value),
                                kind=defs[key].kind) from None
    row.attributes = clean
    return row


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
        values = {name: change.get(name, getattr(m, name)) for name in
                  ("display_name", "email", "phone", "city", "followers", "attributes")}
        values["sort_name"] = (values["display_name"] or "").lower()
        updates.append({"mid": member_id, **values})
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
