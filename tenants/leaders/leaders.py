"""Leaders of an organisation: adding a member as a leader, the status pipeline with its history, details,
touchpoints, the list and the organisation's leader settings. Services flush; the caller commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from tenants.accounts.models import ADMIN_ROLES, AgencyRole, User
from tenants.agency.models import OrgAccess
from tenants.community.models import CHANNELS, Member
from tenants.community.rescore import mark_members
from tenants.core import audit
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.errors import DomainError
from tenants.core.sql import storable
from tenants.leaders.models import (
    LEADER_KINDS,
    LEADER_STATUSES,
    QUIET_DAYS,
    TOUCHPOINT_KINDS,
    Leader,
    LeaderCandidate,
    LeaderSettings,
    LeaderStatusChange,
    Touchpoint,
)

MAX_TOPICS, MAX_TOPIC, MAX_NOTE = 20, 64, 5000


class LeaderError(DomainError):
    """A refusal the reader can act on (a gettext msgid with its parameters)."""


@dataclass
class Row:
    """One line of the leader list."""
    leader: Leader
    member: Member
    owner: str | None
    quiet: bool
    touchpoints: int


def by_public_id(session: Session, public_id: str) -> Leader | None:
    return session.scalar(select(Leader).where(Leader.public_id == public_id))


def member_of(session: Session, leader: Leader) -> Member:
    return session.get(Member, leader.member_id)


def members_of(session: Session, rows: list[Leader]) -> dict[int, Member]:
    """The leaders' members by id (erased members have no leader row)."""
    ids = [r.member_id for r in rows]
    return {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(ids)))} if ids else {}


def of_members(session: Session, member_ids: list[int]) -> dict[int, Leader]:
    return {r.member_id: r for r in session.scalars(select(Leader).where(Leader.member_id.in_(member_ids)))}


def topics_from(value) -> list[str]:
    """Topics from a comma-separated string or a list: trimmed, unique, each at most MAX_TOPIC characters."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise LeaderError("Topics must be text.")
        topic = " ".join(item.split())
        if not storable(topic):
            raise LeaderError("Text must not contain NUL characters or lone surrogates.")
        if len(topic) > MAX_TOPIC:
            raise LeaderError("A topic is at most %(n)s characters.", n=MAX_TOPIC)
        if topic and topic.lower() not in (t.lower() for t in out):
            out.append(topic)
    if len(out) > MAX_TOPICS:
        raise LeaderError("At most %(n)s topics.", n=MAX_TOPICS)
    return out


def _check(status: str | None = None, kind: str | None = None, channels: list | None = None,
           note: str | None = None) -> None:
    if status is not None and status not in LEADER_STATUSES:
        raise LeaderError("Unknown status.")
    if kind is not None and kind not in LEADER_KINDS:
        raise LeaderError("Unknown kind of leader.")
    if channels is not None and any(c not in CHANNELS for c in channels):
        raise LeaderError("Unknown channel.")
    if note is not None and len(note) > MAX_NOTE:
        raise LeaderError("A note is at most %(n)s characters.", n=MAX_NOTE)
    if note is not None and not storable(note):
        raise LeaderError("Text must not contain NUL characters or lone surrogates.")


def add(session: Session, member: Member, status: str, actor: Actor, *, kind: str = "ambassador",
        internal: bool = False, topics: list[str] | None = None, channels: list[str] | None = None,
        owner_id: int | None = None, note: str = "") -> Leader:
    """Make a member a leader with a first status (recorded as a change from nothing)."""
    _check(status, kind, channels, note)
    if member.erased_at is not None or member.merged_into_id is not None:
        raise LeaderError("This member can no longer be a leader.")
    if session.scalar(select(Leader.id).where(Leader.member_id == member.id)) is not None:
        raise LeaderError("%(name)s is already a leader.", name=member.display_name)
    now = utcnow()
    leader = Leader(org_id=member.org_id, member_id=member.id, status=status, kind=kind, internal=bool(internal),
                    topics=topics_from(topics), channels=list(dict.fromkeys(channels or [])), owner_id=owner_id,
                    since=now if status == "active" else None, status_changed_at=now, created_by_id=actor.user_id)
    session.add(leader)
    session.flush()
    session.add(LeaderStatusChange(org_id=leader.org_id, leader_id=leader.id, from_status=None, to_status=status,
                                   note=note.strip(), changed_by_id=actor.user_id, changed_at=now))
    session.execute(delete(LeaderCandidate).where(LeaderCandidate.member_id == member.id))
    if status == "active":
        mark_members(session, [member.id])     # an active leader may be an advocacy signal: score again
    audit.record(session, "leader_added", actor, target=member.display_name or member.public_id, status=status)
    return leader


def set_status(session: Session, leader: Leader, status: str, note: str, actor: Actor) -> bool:
    """Move a leader in the pipeline, recording who, when and why. Returns False when nothing changed."""
    note = (note or "").strip()
    _check(status, note=note)
    if status == leader.status:
        return False
    now = utcnow()
    session.add(LeaderStatusChange(org_id=leader.org_id, leader_id=leader.id, from_status=leader.status,
                                   to_status=status, note=note, changed_by_id=actor.user_id, changed_at=now))
    if "active" in (status, leader.status):
        mark_members(session, [leader.member_id])
    before, leader.status, leader.status_changed_at = leader.status, status, now
    if status == "active" and leader.since is None:
        leader.since = now
    session.flush()
    audit.record(session, "leader_status_changed", actor, target=leader.public_id, **{"from": before, "to": status})
    return True


def update(session: Session, leader: Leader, actor: Actor, *, kind: str, internal: bool, topics, channels: list[str],
           owner_id: int | None) -> None:
    _check(kind=kind, channels=channels)
    if owner_id is not None and owner_id not in {u.id for u in staff(session, leader.org_id)}:
        raise LeaderError("Choose someone who works on this organisation.")
    leader.kind, leader.internal, leader.topics = kind, bool(internal), topics_from(topics)
    leader.channels, leader.owner_id = list(dict.fromkeys(channels)), owner_id
    session.flush()
    audit.record(session, "leader_updated", actor, target=leader.public_id)


def add_touchpoint(session: Session, leader: Leader, kind: str, day: date | None, note: str,
                   actor: Actor) -> Touchpoint:
    note = (note or "").strip()
    if kind not in TOUCHPOINT_KINDS:
        raise LeaderError("Unknown kind of touchpoint.")
    if day is None:
        raise LeaderError("Give the date of the touchpoint.")
    if day > utcnow().date() + timedelta(days=1):
        raise LeaderError("The date of a touchpoint cannot be in the future.")
    _check(note=note)
    tp = Touchpoint(org_id=leader.org_id, leader_id=leader.id, kind=kind, day=day, note=note, author_id=actor.user_id)
    session.add(tp)
    session.flush()
    audit.record(session, "touchpoint_added", actor, target=leader.public_id, kind=kind)
    return tp


def history(session: Session, leader: Leader) -> list[tuple[LeaderStatusChange, str | None]]:
    return list(session.execute(select(LeaderStatusChange, User.name)
                                .outerjoin(User, User.id == LeaderStatusChange.changed_by_id)
                                .where(LeaderStatusChange.leader_id == leader.id)
                                .order_by(LeaderStatusChange.changed_at.desc(), LeaderStatusChange.id.desc())).all())


def touchpoints(session: Session, leader: Leader) -> list[tuple[Touchpoint, str | None]]:
    return list(session.execute(select(Touchpoint, User.name).outerjoin(User, User.id == Touchpoint.author_id)
                                .where(Touchpoint.leader_id == leader.id)
                                .order_by(Touchpoint.day.desc(), Touchpoint.id.desc())).all())


def quiet_days(session: Session, org_id: int) -> int:
    return session.scalar(select(LeaderSettings.quiet_days).where(LeaderSettings.org_id == org_id)) or QUIET_DAYS


def set_quiet_days(session: Session, org_id: int, days: int | None, actor: Actor) -> None:
    if days is None or not 1 <= days <= 365:
        raise LeaderError("Quiet days must be a whole number from 1 to 365.")
    row = session.scalar(select(LeaderSettings).where(LeaderSettings.org_id == org_id))
    if row is None:
        session.add(LeaderSettings(org_id=org_id, quiet_days=days))
    else:
        row.quiet_days = days
    session.flush()
    audit.record(session, "leader_settings_saved", actor, quiet_days=days)


def _quiet_since(session: Session, org_id: int, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=quiet_days(session, org_id))


def _is_quiet(cutoff: datetime):
    return (Leader.status == "active") & or_(Member.last_active_at.is_(None), Member.last_active_at < cutoff)


def listing(session: Session, org_id: int, status: str | None = None) -> list[Row]:
    """The organisation's leaders: status order, then name; each with its owner's name, whether it has gone
    quiet and how many touchpoints it has."""
    cutoff = _quiet_since(session, org_id)
    tps = (select(func.count()).where(Touchpoint.leader_id == Leader.id).correlate(Leader).scalar_subquery())
    order = {s: i for i, s in enumerate(("active", "invited", "candidate", "alumni", "declined"))}
    stmt = (select(Leader, Member, User.name, _is_quiet(cutoff), tps)
            .join(Member, Member.id == Leader.member_id).outerjoin(User, User.id == Leader.owner_id)
            .where(Leader.org_id == org_id, Member.merged_into_id.is_(None)))
    if status:
        stmt = stmt.where(Leader.status == status)
    rows = [Row(leader, member, owner, bool(quiet), n) for leader, member, owner, quiet, n in session.execute(stmt)]
    return sorted(rows, key=lambda r: (order.get(r.leader.status, 9), r.member.sort_name, r.leader.id))


def is_quiet(session: Session, leader: Leader, member: Member) -> bool:
    """An active leader with no activity for the organisation's quiet days."""
    cutoff = _quiet_since(session, leader.org_id)
    return leader.status == "active" and (member.last_active_at is None or member.last_active_at < cutoff)


def quiet(session: Session, org_id: int, limit: int = 10) -> list[tuple[Leader, Member]]:
    """Active leaders with no activity for the organisation's quiet days, the longest quiet first."""
    cutoff = _quiet_since(session, org_id)
    return list(session.execute(select(Leader, Member).join(Member, Member.id == Leader.member_id)
                                .where(Leader.org_id == org_id, Member.merged_into_id.is_(None), _is_quiet(cutoff))
                                .order_by(Member.last_active_at.asc().nulls_first(), Leader.id).limit(limit)).all())


def staff(session: Session, org_id: int) -> list[User]:
    """Who may be responsible for a leader: owners and admins, and the organisation's managers."""
    admins = select(AgencyRole.user_id.label("user_id")).where(AgencyRole.role.in_(ADMIN_ROLES))
    managers = select(OrgAccess.user_id.label("user_id")).where(OrgAccess.org_id == org_id,
                                                                OrgAccess.role == literal("manager"))
    ids = union_all(admins, managers).subquery()
    return list(session.scalars(select(User).where(User.id.in_(select(ids.c.user_id))).order_by(User.name)))


def user_by_public_id(session: Session, org_id: int, public_id: str) -> User | None:
    return next((u for u in staff(session, org_id) if u.public_id == public_id), None)


def member_ids(session: Session, org_id: int, statuses: tuple[str, ...] = ("active",)) -> set[int]:
    """The members who are leaders of the organisation in one of the statuses."""
    return set(session.scalars(select(Leader.member_id).where(Leader.org_id == org_id, Leader.status.in_(statuses))))


def quiet_counts(session: Session, org_ids: list[int], now: datetime | None = None) -> dict[int, int]:
    """How many leaders have gone quiet (as `quiet` says) in each organisation of `org_ids`, in one statement:
    each organisation's own quiet days, else QUIET_DAYS."""
    if not org_ids:
        return {}
    days = func.coalesce(LeaderSettings.quiet_days, QUIET_DAYS)
    cutoff = (now or utcnow()) - func.make_interval(0, 0, 0, days)
    stmt = (select(Leader.org_id, func.count())
            .join(Member, Member.id == Leader.member_id)
            .outerjoin(LeaderSettings, LeaderSettings.org_id == Leader.org_id)
            .where(Leader.org_id.in_(org_ids), Member.merged_into_id.is_(None), _is_quiet(cutoff))
            .group_by(Leader.org_id))
    return dict(session.execute(stmt).all())
