"""Merging duplicate members, undoing a merge, and suggesting merges.

A merge moves identities, activity (as actor and as target), notes and tags to the survivor and records
exactly what moved, so an unmerge puts every row back where it was. Suggestions are in `duplicates`."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from tenants.community.models import Activity, Identity, Member, MemberMerge, MemberNote, MemberTag, MergeDismissal
from tenants.community.rescore import mark_members
from tenants.core import audit
from tenants.core.audit import Actor
from tenants.core.base import utcnow

FIELDS = ("email", "phone", "city", "followers")


class MergeError(ValueError):
    """A user-facing refusal; the message is a gettext msgid."""


def _ids(session: Session, stmt) -> list[int]:
    return [row[0] for row in session.execute(stmt)]


def merge(session: Session, survivor: Member, merged: Member, actor: Actor) -> MemberMerge:
    if survivor.id == merged.id:
        raise MergeError("A member cannot be merged with itself.")
    if survivor.merged_into_id or merged.merged_into_id or survivor.erased_at or merged.erased_at:
        raise MergeError("One of these members was merged or erased already.")
    moved: dict = {"counts": {"activity_count": merged.activity_count, "first_seen_at": _iso(merged.first_seen_at),
                              "last_active_at": _iso(merged.last_active_at)},
                   "survivor_before": {"activity_count": survivor.activity_count,
                                       "first_seen_at": _iso(survivor.first_seen_at),
                                       "last_active_at": _iso(survivor.last_active_at)}}
    moved["identities"] = _ids(session, update(Identity).where(Identity.member_id == merged.id)
                               .values(member_id=survivor.id).returning(Identity.id))
    moved["activities"] = _ids(session, update(Activity).where(Activity.member_id == merged.id)
                               .values(member_id=survivor.id).returning(Activity.id))
    moved["targets"] = _ids(session, update(Activity).where(Activity.target_member_id == merged.id)
                            .values(target_member_id=survivor.id).returning(Activity.id))
    moved["notes"] = _ids(session, update(MemberNote).where(MemberNote.member_id == merged.id)
                          .values(member_id=survivor.id).returning(MemberNote.id))
    merged_tags = list(session.scalars(select(MemberTag.tag).where(MemberTag.member_id == merged.id)))
    survivor_tags = set(session.scalars(select(MemberTag.tag).where(MemberTag.member_id == survivor.id)))
    moved["tags"] = merged_tags
    moved["tags_added"] = [t for t in merged_tags if t not in survivor_tags]
    if moved["tags_added"]:
        session.execute(insert(MemberTag.__table__).on_conflict_do_nothing(
            index_elements=["member_id", "tag"]),
            [{"agency_id": survivor.agency_id, "org_id": survivor.org_id, "member_id": survivor.id, "tag": t}
             for t in moved["tags_added"]])
    session.execute(MemberTag.__table__.delete().where(MemberTag.member_id == merged.id))
    taken = {}
    for name in FIELDS:
        if getattr(survivor, name) in (None, "") and getattr(merged, name) not in (None, ""):
            taken[name] = getattr(merged, name)
            setattr(survivor, name, getattr(merged, name))
    moved["fields_taken"] = taken
    attrs_taken = {k: v for k, v in (merged.attributes or {}).items() if k not in (survivor.attributes or {})}
    moved["attributes_taken"] = sorted(attrs_taken)
    survivor.attributes = {**(survivor.attributes or {}), **attrs_taken}
    _restore_counts(session, survivor)      # exact now, even with activity the scoring job has not counted yet
    survivor.is_staff = survivor.is_staff or merged.is_staff
    survivor.is_bot = survivor.is_bot or merged.is_bot
    merged.merged_into_id = survivor.id
    merged.activity_count = 0
    record = MemberMerge(org_id=survivor.org_id, survivor_id=survivor.id, merged_id=merged.id, moved=moved,
                         created_by_id=actor.user_id)
    session.add(record)
    session.flush()
    mark_members(session, [survivor.id, merged.id])
    audit.record(session, "members_merged", actor, target=f"{merged.public_id} → {survivor.public_id}")
    return record


def unmerge(session: Session, record: MemberMerge, actor: Actor) -> Member:
    """Put back every row the merge moved. Returns the restored member."""
    if record.undone_at is not None:
        raise MergeError("This merge was undone already.")
    survivor = session.get(Member, record.survivor_id)
    merged = session.get(Member, record.merged_id)
    if merged is None or merged.erased_at is not None or survivor is None or survivor.erased_at is not None:
        raise MergeError("One of these members was erased; the merge cannot be undone.")
    moved = record.moved or {}
    if moved.get("identities"):
        session.execute(update(Identity).where(Identity.id.in_(moved["identities"])).values(member_id=merged.id))
    if moved.get("activities"):
        session.execute(update(Activity).where(Activity.id.in_(moved["activities"])).values(member_id=merged.id))
    if moved.get("targets"):
        session.execute(update(Activity).where(Activity.id.in_(moved["targets"])).values(target_member_id=merged.id))
    if moved.get("notes"):
        session.execute(update(MemberNote).where(MemberNote.id.in_(moved["notes"])).values(member_id=merged.id))
    if moved.get("tags_added"):
        session.execute(MemberTag.__table__.delete().where(MemberTag.member_id == survivor.id,
                                                           MemberTag.tag.in_(moved["tags_added"])))
    if moved.get("tags"):
        session.execute(insert(MemberTag.__table__).on_conflict_do_nothing(
            index_elements=["member_id", "tag"]),
            [{"agency_id": merged.agency_id, "org_id": merged.org_id, "member_id": merged.id, "tag": t}
             for t in moved["tags"]])
    for name, value in (moved.get("fields_taken") or {}).items():
        if getattr(survivor, name) == value:
            setattr(survivor, name, None)
    attrs = dict(survivor.attributes or {})
    for key in moved.get("attributes_taken") or []:
        attrs.pop(key, None)
    survivor.attributes = attrs
    _restore_counts(session, survivor)
    _restore_counts(session, merged)
    merged.merged_into_id = None
    record.undone_at = utcnow()
    session.flush()
    mark_members(session, [survivor.id, merged.id])
    audit.record(session, "merge_undone", actor, target=f"{merged.public_id} ← {survivor.public_id}")
    return merged


def _restore_counts(session: Session, m: Member) -> None:
    """Recount from the activity that now belongs to the member (exact, whatever happened since)."""
    n, first, last = session.execute(select(func.count(), func.min(Activity.occurred_at),
                                            func.max(Activity.occurred_at)).where(Activity.member_id == m.id)).one()
    m.activity_count, m.first_seen_at, m.last_active_at = n, first, last


def by_public_id(session: Session, org_id: int, public_id: str) -> MemberMerge | None:
    return session.scalar(select(MemberMerge).where(MemberMerge.public_id == public_id,
                                                    MemberMerge.org_id == org_id))


def survivor_of(session: Session, record: MemberMerge) -> Member:
    """The member a merge kept."""
    return session.get(Member, record.survivor_id)


def merges_of(session: Session, member: Member) -> list[MemberMerge]:
    return list(session.scalars(select(MemberMerge).where(MemberMerge.survivor_id == member.id,
                                                          MemberMerge.undone_at.is_(None))
                                .order_by(MemberMerge.created_at.desc())))


def dismiss(session: Session, org_id: int, a: Member, b: Member, user_id: int | None) -> None:
    low, high = sorted((a.id, b.id))
    session.execute(insert(MergeDismissal.__table__).on_conflict_do_nothing(
        index_elements=["org_id", "member_a_id", "member_b_id"]),
        [{"agency_id": a.agency_id, "org_id": org_id, "member_a_id": low, "member_b_id": high,
          "created_by_id": user_id, "created_at": utcnow()}])


def _iso(value):
    return value.isoformat() if value else None
