"""Segments of one organisation: create, edit (a rule edit is a new version), delete (refused while something
uses the segment), and read their members through the one rule engine: count, page, export and bulk actions
all take the same statement, so they always agree."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tenants.community import members as community
from tenants.community.models import AttributeDef, Member
from tenants.core import audit, sql
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.events.models import Event
from tenants.segments import rules
from tenants.segments.fields import Scope
from tenants.segments.models import KINDS, Segment, SegmentMember, SegmentVersion

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
PALETTE = ("#4f46e5", "#0891b2", "#059669", "#ca8a04", "#ea580c", "#dc2626", "#db2777", "#7c3aed", "#475569")
MAX_STATIC_CHANGE = 10_000


class SegmentError(ValueError):
    """A request the segment cannot take: `path` names the bad part (e.g. "name", "rules.all[1].op")."""

    def __init__(self, message: str, path: str = "", problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message, self.path = message, path
        self.problems = problems or [(path, message)]


def scope(session: Session, org_id: int, today: date | None = None, seen: tuple[str, ...] = ()) -> Scope:
    attributes = {d.key: (d.kind, list(d.choices or [])) for d in
                  session.scalars(select(AttributeDef).where(AttributeDef.org_id == org_id))}

    def segment(public: str):
        s = session.scalar(select(Segment).where(Segment.org_id == org_id, Segment.public_id == public))
        return None if s is None else (s.kind, s.rules, s.id)

    def event(public: str) -> int | None:
        return session.scalar(select(Event.id).where(Event.org_id == org_id, Event.public_id == public))
    return Scope(org_id, today or utcnow().date(), attributes, segment, seen, event)


def checked(session: Session, org_id: int, tree, seen: tuple[str, ...] = ()) -> rules.Group | rules.Leaf:
    try:
        return rules.check(tree, scope(session, org_id, seen=seen))
    except rules.RuleError as exc:
        raise SegmentError(exc.message, exc.path, exc.problems) from None


def statement(session: Session, segment: Segment, today: date | None = None):
    """select(Member) of the segment's members today."""
    if segment.kind == "static":
        return community.live_members().where(
            Member.org_id == segment.org_id,
            Member.id.in_(select(SegmentMember.member_id).where(SegmentMember.segment_id == segment.id)))
    return rule_statement(session, segment.org_id, segment.rules, today, seen=(segment.public_id,))


def rule_statement(session: Session, org_id: int, tree, today: date | None = None, seen: tuple[str, ...] = ()):
    s = scope(session, org_id, today, seen)
    try:
        return rules.members(rules.check(tree, s), s)
    except rules.RuleError as exc:
        raise SegmentError(exc.message, exc.path, exc.problems) from None


def count(session: Session, stmt) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def member_ids(session: Session, stmt) -> list[int]:
    return list(session.scalars(stmt.with_only_columns(Member.id).order_by(Member.sort_name, Member.id)))


def size(session: Session, segment: Segment) -> int:
    return count(session, statement(session, segment))


def sizes(session: Session, segments: list[Segment]) -> dict[int, int | None]:
    """Each segment's size today, all counted in one statement (one scalar subquery per segment); None for a
    segment whose rule no longer checks (its own page says why)."""
    counts, out = {}, {}
    for s in segments:
        try:
            counts[s.id] = select(func.count()).select_from(statement(session, s).order_by(None).subquery())
        except SegmentError:
            out[s.id] = None
    if counts:
        row = session.execute(select(*(c.scalar_subquery() for c in counts.values()))).one()
        out.update(zip(counts, row, strict=True))
    return out


# --- create, edit, delete ----------------------------------------------------------------------------------

def _fields(session: Session, org_id: int, data: dict, segment: Segment | None) -> dict:
    out = {}
    if "name" in data or segment is None:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 120 or not sql.storable(name):
            raise SegmentError("Give the segment a name of at most 120 characters.", "name")
        out["name"] = name.strip()
    if "description" in data:
        text = data.get("description") or ""
        if not isinstance(text, str) or len(text) > 2000 or not sql.storable(text):
            raise SegmentError("The description must be a text of at most 2,000 characters.", "description")
        out["description"] = text.strip()
    if "colour" in data and data["colour"] not in (None, ""):
        if not isinstance(data["colour"], str) or not COLOUR.match(data["colour"]):
            raise SegmentError("The colour must be a hex colour such as #4f46e5.", "colour")
        out["colour"] = data["colour"].lower()
    return out


def create(session: Session, org_id: int, data: dict, actor: Actor, starter: str | None = None) -> Segment:
    kind = data.get("kind", "dynamic")
    if kind not in KINDS:
        raise SegmentError("The kind must be dynamic or static.", "kind")
    values = _fields(session, org_id, data, None)
    tree = None
    if kind == "dynamic":
        if "rules" not in data:
            raise SegmentError("A dynamic segment needs rules.", "rules")
        checked(session, org_id, data["rules"])
        tree = data["rules"]
    elif data.get("rules") is not None:
        raise SegmentError("A static segment has no rules: add members to it.", "rules")
    segment = Segment(org_id=org_id, kind=kind, rules=tree, version=1, starter=starter,
                      created_by_id=actor.user_id, **values)
    session.add(segment)
    session.flush()
    session.add(SegmentVersion(org_id=org_id, segment_id=segment.id, version=1, rules=tree,
                               created_by_id=actor.user_id))
    if starter is None:     # starters come with the organisation, whose creation is audited
        audit.record(session, "segment_created", actor, target=segment.name, segment=segment.public_id)
    return segment


def update_segment(session: Session, segment: Segment, data: dict, actor: Actor) -> Segment:
    values = _fields(session, segment.org_id, data, segment)
    if "kind" in data and data["kind"] != segment.kind:
        raise SegmentError("A segment's kind cannot change; freeze a dynamic segment into a static one.", "kind")
    if "rules" in data:
        if segment.kind != "dynamic":
            raise SegmentError("A static segment has no rules: add members to it.", "rules")
        checked(session, segment.org_id, data["rules"], seen=(segment.public_id,))
        if data["rules"] != segment.rules:
            segment.rules, segment.version = data["rules"], segment.version + 1
            session.add(SegmentVersion(org_id=segment.org_id, segment_id=segment.id, version=segment.version,
                                       rules=segment.rules, created_by_id=actor.user_id))
    for key, value in values.items():
        setattr(segment, key, value)
    segment.updated_at = utcnow()
    audit.record(session, "segment_changed", actor, target=segment.name, segment=segment.public_id,
                 version=segment.version)
    return segment


def used_by(session: Session, segment: Segment) -> list[str]:
    """The names of the segments whose rules name this one (nothing else refers to a segment)."""
    return [other.name for other in session.scalars(
        select(Segment).where(Segment.org_id == segment.org_id, Segment.id != segment.id, Segment.kind == "dynamic")
        .order_by(Segment.name)) if segment.public_id in _named_segments(other.rules)]


def _named_segments(tree) -> set[str]:
    if isinstance(tree, dict):
        if tree.get("field") == "segment" and isinstance(tree.get("value"), list):
            return {x for x in tree["value"] if isinstance(x, str)}
        return set().union(*(_named_segments(x) for x in tree.values())) if tree else set()
    if isinstance(tree, list):
        return set().union(*(_named_segments(x) for x in tree)) if tree else set()
    return set()


def delete_segment(session: Session, segment: Segment, actor: Actor) -> None:
    users = used_by(session, segment)
    if users:
        raise SegmentError("This segment is used by the segments " + ", ".join(f"“{n}”" for n in users)
                           + "; change them first.", "segment")
    audit.record(session, "segment_deleted", actor, target=segment.name, segment=segment.public_id)
    session.delete(segment)


# --- static segments -------------------------------------------------------------------------------------------

def add_members(session: Session, segment: Segment, ids: list[int]) -> int:
    """Add members (ids of this organisation's live members) to a static segment; answers how many were new."""
    _static(segment, ids)
    if not ids:
        return 0
    live = select(Member.id).where(Member.org_id == segment.org_id, Member.id.in_(ids),
                                   Member.merged_into_id.is_(None), Member.erased_at.is_(None))
    rows = [{"agency_id": segment.agency_id, "org_id": segment.org_id, "segment_id": segment.id,
             "member_id": member_id, "added_at": utcnow()} for member_id in session.scalars(live)]
    if not rows:
        return 0
    result = session.execute(insert(SegmentMember.__table__).on_conflict_do_nothing().returning(
        SegmentMember.__table__.c.member_id), rows)
    segment.updated_at = utcnow()
    return len(result.all())


def remove_members(session: Session, segment: Segment, ids: list[int]) -> int:
    _static(segment, ids)
    result = session.execute(delete(SegmentMember).where(SegmentMember.segment_id == segment.id,
                                                         SegmentMember.member_id.in_(ids)))
    segment.updated_at = utcnow()
    return result.rowcount or 0


def _static(segment: Segment, ids: list[int]) -> None:
    if segment.kind != "static":
        raise SegmentError("Members are added to static segments only; a dynamic segment follows its rule.",
                           "member_ids")
    if len(ids) > MAX_STATIC_CHANGE:
        raise SegmentError(f"At most {MAX_STATIC_CHANGE:,} members at a time.", "member_ids")


def freeze(session: Session, segment: Segment, actor: Actor, into: Segment | None = None,
           name: str | None = None) -> Segment:
    """Copy a segment's current members into a static segment: a new one, or `into`."""
    target = into or create(session, segment.org_id, {
        "kind": "static", "name": name or f"{segment.name} ({utcnow().date().isoformat()})"[:120],
        "description": segment.description, "colour": segment.colour}, actor)
    if target.kind != "static":
        raise SegmentError("Members can be frozen into a static segment only.", "into")
    ids = session.scalars(statement(session, segment).with_only_columns(Member.id)).all()
    for start in range(0, len(ids), 10_000):
        session.execute(insert(SegmentMember.__table__).on_conflict_do_nothing(), [
            {"agency_id": target.agency_id, "org_id": target.org_id, "segment_id": target.id, "member_id": m,
             "added_at": utcnow()} for m in ids[start:start + 10_000]])
    session.execute(update(Segment).where(Segment.id == target.id).values(updated_at=utcnow()))
    return target


def by_public_id(session: Session, org_id: int, public: str) -> Segment | None:
    return session.scalar(select(Segment).where(Segment.org_id == org_id, Segment.public_id == public))


def of_org(session: Session, org_id: int) -> list[Segment]:
    return list(session.scalars(select(Segment).where(Segment.org_id == org_id).order_by(Segment.name, Segment.id)))
