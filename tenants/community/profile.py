"""Editing members: fields, tags, flags, notes, custom attributes; timelines; privacy export and erasure."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime

from slugify import slugify
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tenants.community import privacy
from tenants.community.members import as_dict, details
from tenants.community.models import Activity, AttributeDef, Identity, Member, MemberMerge, MemberNote, MemberTag
from tenants.community.rescore import mark_members
from tenants.community.values import INT_MAX, limit, unstorable
from tenants.core import audit
from tenants.core.audit import Actor
from tenants.core.base import utcnow

TAG_RE = re.compile(r"^[\w][\w .:+\-/]{0,63}$", re.UNICODE)
ATTRIBUTE_KINDS = ("text", "number", "date", "choice")


class CommunityError(ValueError):
    """A user-facing refusal; the message is a gettext msgid."""


# --- fields and flags ----------------------------------------------------------------------------

def normalise_phone(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    digits = re.sub(r"[^\d+]", "", value)
    if digits.startswith("8") and len(digits) == 11:      # Russian trunk prefix: 8 999 … → +7 999 …
        digits = "+7" + digits[1:]
    if not digits.startswith("+"):
        digits = "+" + digits
    if not 8 <= len(digits) <= 16:
        raise CommunityError("Phone number is not valid.")
    return digits


def update_fields(m: Member, display_name: str, email: str | None, phone: str | None, city: str | None,
                  followers: str | None) -> None:
    name = (display_name or "").strip()
    if not name:
        raise CommunityError("Name is required.")
    email = (email or "").strip().lower() or None
    if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise CommunityError("Email is not a valid address.")
    if followers not in (None, ""):
        try:
            count = int(str(followers).replace(" ", ""))
        except ValueError:
            raise CommunityError("Followers must be a whole number.") from None
        if not 0 <= count <= INT_MAX:
            raise CommunityError("Followers must be a whole number.")
        m.followers = count
    else:
        m.followers = None
    city = (city or "").strip() or None
    for value, column in ((name, Member.display_name), (email, Member.email), (city, Member.city)):
        if value and (unstorable(value) or (column is not Member.display_name and len(value) > limit(column))):
            raise CommunityError("A field is too long or holds a character that cannot be stored.")
    m.display_name = name[:limit(Member.display_name)]
    m.sort_name = m.display_name.lower()[:limit(Member.sort_name)]
    m.email, m.phone, m.city = email, normalise_phone(phone), city


def clean_tag(tag: str) -> str:
    tag = (tag or "").strip().lower()
    if not TAG_RE.match(tag):
        raise CommunityError("Tags are up to 64 letters, digits, spaces or . : + - / _")
    return tag


def add_tag(session: Session, member_ids: list[int], tag: str) -> int:
    tag = clean_tag(tag)
    if not member_ids:
        return 0
    agency_id, org_id = session.execute(select(Member.agency_id, Member.org_id)
                                        .where(Member.id == member_ids[0])).one()
    rows = [{"agency_id": agency_id, "org_id": org_id, "member_id": i, "tag": tag} for i in member_ids]
    table = MemberTag.__table__
    stmt = insert(table).on_conflict_do_nothing(index_elements=["member_id", "tag"]) \
        .returning(table.c.id)
    return len(session.execute(stmt, rows).all())      # rows really added (executemany rowcount is unreliable)


def remove_tag(session: Session, member_ids: list[int], tag: str) -> int:
    return session.execute(delete(MemberTag).where(MemberTag.member_id.in_(member_ids),
                                                   MemberTag.tag == (tag or "").strip().lower())).rowcount or 0


def org_tags(session: Session, org_id: int) -> list[tuple[str, int]]:
    return list(session.execute(select(MemberTag.tag, func.count()).where(MemberTag.org_id == org_id)
                                .group_by(MemberTag.tag).order_by(MemberTag.tag)).all())


def set_flag(session: Session, member_ids: list[int], flag: str, value: bool) -> int:
    """Mark members staff or bot (or not); returns how many changed. Staff and bots leave every score, others
    come back into them: the members that change are queued for re-scoring, before their rows are updated. A
    full recompute clears the queue first and updates member rows last, so taking the two in its order keeps
    a save during a recompute from deadlocking with it."""
    if flag not in ("is_staff", "is_bot"):
        raise CommunityError("Unknown flag.")
    column = getattr(Member, flag)
    with session.no_autoflush:      # edits of the same members' fields are written after the queue rows
        changing = list(session.scalars(select(Member.id).where(Member.id.in_(member_ids), column.is_not(value))))
        if not changing:
            return 0
        mark_members(session, changing)
    session.execute(update(Member).where(Member.id.in_(changing)).values({flag: value}))
    return len(changing)


def ids_for(session: Session, public_ids: list[str]) -> list[int]:
    if not public_ids:
        return []
    return list(session.scalars(select(Member.id).where(Member.public_id.in_(public_ids),
                                                        Member.erased_at.is_(None))))


def add_organisation(session: Session, org_id: int, display_name: str) -> Member:
    """A new member of kind organisation (a partner company, a media outlet), added by hand."""
    name = " ".join((display_name or "").split())
    if not name or unstorable(name):
        raise CommunityError("Name is required.")
    m = Member(org_id=org_id, kind="organisation", display_name=name[:200], sort_name=name[:200].lower())
    session.add(m)
    session.flush()
    return m


# --- notes ---------------------------------------------------------------------------------------

def add_note(session: Session, m: Member, body: str, author_id: int | None) -> MemberNote:
    body = (body or "").strip()
    if not body:
        raise CommunityError("Write something first.")
    note = MemberNote(org_id=m.org_id, member_id=m.id, author_id=author_id, body=body[:5000])
    session.add(note)
    return note


def notes(session: Session, m: Member) -> list[MemberNote]:
    return list(session.scalars(select(MemberNote).where(MemberNote.member_id == m.id)
                                .order_by(MemberNote.created_at.desc())))


# --- custom attributes ---------------------------------------------------------------------------

def attribute_defs(session: Session, org_id: int) -> list[AttributeDef]:
    return list(session.scalars(select(AttributeDef).where(AttributeDef.org_id == org_id)
                                .order_by(AttributeDef.position, AttributeDef.id)))


def define_attribute(session: Session, org_id: int, label: str, kind: str, choices: str = "") -> AttributeDef:
    label = (label or "").strip()
    if not label:
        raise CommunityError("Name is required.")
    if kind not in ATTRIBUTE_KINDS:
        raise CommunityError("Unknown attribute type.")
    key = slugify(label, separator="_", max_length=60) or "attribute"
    if session.scalar(select(AttributeDef.id).where(AttributeDef.org_id == org_id, AttributeDef.key == key)):
        raise CommunityError("An attribute with this name exists.")
    options = [c.strip() for c in (choices or "").replace("\n", ",").split(",") if c.strip()]
    if kind == "choice" and not options:
        raise CommunityError("List the choices, separated by commas.")
    count = session.scalar(select(func.count()).select_from(AttributeDef).where(AttributeDef.org_id == org_id))
    d = AttributeDef(org_id=org_id, key=key, label=label[:120], kind=kind, choices=options, position=count or 0)
    session.add(d)
    return d


def coerce_attribute(d: AttributeDef, raw: str | None):
    """A form value as stored in member.attributes (JSON); '' clears it."""
    raw = (raw or "").strip()
    if raw == "":
        return None
    if d.kind == "number":
        try:
            value = float(raw.replace(",", ".").replace(" ", ""))
        except ValueError:
            raise CommunityError("%(label)s must be a number.") from None
        if not math.isfinite(value):
            raise CommunityError("%(label)s must be a number.")
        return int(value) if value.is_integer() else value
    if d.kind == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            raise CommunityError("%(label)s must be a date.") from None
    if unstorable(raw):
        raise CommunityError("%(label)s holds a character that cannot be stored.")
    if d.kind == "choice" and raw not in d.choices:
        raise CommunityError("%(label)s must be one of the choices.")
    return raw[:500]


def set_attributes(m: Member, defs: list[AttributeDef], values: dict[str, str]) -> None:
    attrs = dict(m.attributes or {})
    for d in defs:
        if d.key not in values:
            continue
        try:
            value = coerce_attribute(d, values[d.key])
        except CommunityError as exc:
            exc.label = d.label
            raise
        if value is None:
            attrs.pop(d.key, None)
        else:
            attrs[d.key] = value
    m.attributes = attrs


# --- timeline ------------------------------------------------------------------------------------

@dataclass
class TimelinePage:
    items: list[tuple[Activity, str | None]]  # (activity, name of the target member)
    next_before: str | None


def timeline(session: Session, member_ids: list[int], kind: str | None, before: str | None,
             limit: int = 30) -> TimelinePage:
    target = Member.__table__.alias("target")
    stmt = (select(Activity, target.c.display_name).outerjoin(target, target.c.id == Activity.target_member_id)
            .where(Activity.member_id.in_(member_ids)))
    if kind:
        stmt = stmt.where(Activity.type == kind)
    if before:
        try:        # a cursor from the query string: a bad one is ignored (the first page)
            when, last_id = before.rsplit("_", 1)
            moment, last = datetime.fromisoformat(when), int(last_id)
            if 0 < last < 2**63:
                stmt = stmt.where((Activity.occurred_at < moment) |
                                  ((Activity.occurred_at == moment) & (Activity.id < last)))
        except ValueError:
            pass
    rows = session.execute(stmt.order_by(Activity.occurred_at.desc(), Activity.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = f"{rows[-1][0].occurred_at.isoformat()}_{rows[-1][0].id}" if more and rows else None
    return TimelinePage([(a, name) for a, name in rows], cursor)


def activity_types(session: Session, member_id: int) -> list[tuple[str, int]]:
    return list(session.execute(select(Activity.type, func.count()).where(Activity.member_id == member_id)
                                .group_by(Activity.type).order_by(func.count().desc())).all())


# --- privacy -------------------------------------------------------------------------------------

def export_member(session: Session, m: Member, actor: Actor) -> dict:
    """Everything held about one member (GDPR art. 15 / 152-FZ art. 14), as JSON."""
    identities, tags = details(session, [m.id])
    data = as_dict(m, identities.get(m.id, []), tags.get(m.id, []))
    data["notes"] = [{"at": n.created_at.isoformat(), "author": n.author.name if n.author else None,
                      "text": n.body} for n in notes(session, m)]
    data["activities"] = [
        {"type": a.type, "channel": a.channel, "occurred_at": a.occurred_at.isoformat(), "source_id": a.source_id,
         "weight": a.weight, "meta": a.meta or {}}
        for a in session.scalars(select(Activity).where(Activity.member_id == m.id).order_by(Activity.occurred_at))]
    data["exported_at"] = utcnow().isoformat()
    audit.record(session, "member_exported", actor, target=m.public_id)
    return data          # JSON: values exactly as stored (formula escaping is for spreadsheet cells only)


def erase_member(session: Session, m: Member, actor: Actor) -> None:
    """Right to erasure: identities, activity, notes, tags and personal fields go, and so do their rows in the
    organisation's uploads and rejected import rows (community.privacy). The member row stays as an anonymous
    tombstone so aggregate counts (e.g. "12 members joined in May") keep adding up."""
    if m.erased_at is not None:
        return
    merged = list(session.scalars(select(Member.id).where(Member.merged_into_id == m.id)))
    traces = privacy.traces_of(session, [m.id, *merged])
    for other in [m.id, *merged]:
        session.execute(delete(Activity).where(Activity.member_id == other))
        session.execute(update(Activity).where(Activity.target_member_id == other).values(target_member_id=None))
        session.execute(delete(Identity).where(Identity.member_id == other))
        session.execute(delete(MemberNote).where(MemberNote.member_id == other))
        session.execute(delete(MemberTag).where(MemberTag.member_id == other))
    session.execute(delete(MemberMerge).where((MemberMerge.survivor_id == m.id) | (MemberMerge.merged_id == m.id)))
    for member in session.scalars(select(Member).where(Member.id.in_([m.id, *merged]))):
        member.display_name = member.sort_name = ""
        member.email = member.phone = member.city = None
        member.attributes, member.followers = {}, None
        member.erased_at = utcnow()
    privacy.forget_leader(session, [m.id, *merged])    # leader row, history, touchpoints and their notes
    mark_members(session, [m.id, *merged])
    privacy.scrub(session, m.org_id, traces)       # their rows in uploads, rejected rows and import records
    audit.record(session, "member_erased", actor, target=m.public_id)
