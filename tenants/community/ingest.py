"""Activity ingestion, shared by the API, CSV import and Telegram import.

Set-based: a batch resolves all its identities with one query, creates the missing members and
identities with multi-row inserts, inserts activities with `ON CONFLICT (org_id, source_id) DO NOTHING`
(so re-sending is harmless and counted as a duplicate), and queues the member days it touched for the
scoring job, which brings scores and member counters (activity count, first seen, last active) up to date
together. Runs inside the organisation's tenant scope.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from tenants.agency import jobs
from tenants.community.models import ACTIVITY_TYPES, Member
from tenants.community.rescore import mark_pending
from tenants.core import locks
from tenants.core.base import utcnow
from tenants.core.context import require_agency_id
from tenants.core.errors import DomainError
from tenants.core.ids import public_id

MAX_BATCH = 5000
CHANNEL_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_META_BYTES = 16_000


class ItemError(DomainError):
    """One activity (or row) is invalid. `str(exc)` is the English sentence (API clients, CSV downloads);
    `template` and `params` (strings) let a page show it in the reader's language."""

    def __init__(self, template: str, **params) -> None:
        super().__init__(template, **{k: str(v) for k, v in params.items()})


@dataclass(frozen=True)
class IdentityRef:
    channel: str
    external_id: str
    handle: str | None = None
    display_name: str | None = None
    email: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.channel, self.external_id)


@dataclass
class ActivityIn:
    member: IdentityRef
    type: str
    occurred_at: datetime
    source_id: str
    channel: str
    target: IdentityRef | None = None
    weight: float | None = None
    meta: dict = field(default_factory=dict)


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    members_created: int = 0

    def add(self, other: IngestResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.members_created += other.members_created


# --- validation ----------------------------------------------------------------------------------

def _text(value, name: str, limit: int, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            raise ItemError("%(field)s is required", field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ItemError("%(field)s must be a string", field=name)
    value = str(value).strip()
    if "\x00" in value:
        raise ItemError("%(field)s contains a NUL character", field=name)
    if required and not value:
        raise ItemError("%(field)s is required", field=name)
    if len(value) > limit:
        raise ItemError("%(field)s is longer than %(limit)s characters", field=name, limit=limit)
    return value or None


def normalise_email(value) -> str | None:
    value = _text(value, "email", 254, required=False)
    if value is None:
        return None
    value = value.lower()
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
        raise ItemError("email is not a valid address")
    return value


def parse_identity(obj, name: str = "member") -> IdentityRef:
    if not isinstance(obj, dict):
        raise ItemError("%(field)s must be an object", field=name)
    values = (obj.get("channel"), obj.get("external_id"), obj.get("handle"), obj.get("display_name"),
              obj.get("email"))
    try:
        return _identity(name, *values)
    except TypeError:       # a list or an object among the values: unhashable, validated without the cache
        return _identity.__wrapped__(name, *values)


@functools.lru_cache(maxsize=65_536, typed=True)
def _identity(name: str, channel, external_id, handle, display_name, email) -> IdentityRef:
    """A pure function of the values, cached: in a 90-9-1 community most of a batch's items name the same few
    members, and validating each copy was a tenth of an API call's time."""
    channel = _text(channel, f"{name}.channel", 32).lower()
    if not CHANNEL_RE.match(channel):
        raise ItemError("%(field)s.channel must be lower-case letters, digits or _", field=name)
    return IdentityRef(channel=channel, external_id=_text(external_id, f"{name}.external_id", 200),
                       handle=_text(handle, f"{name}.handle", 200, required=False),
                       display_name=_text(display_name, f"{name}.display_name", 200, required=False),
                       email=normalise_email(email))


def parse_time(value, name: str = "occurred_at") -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        raw = _text(value, name, 64)
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ItemError("%(field)s is not an ISO 8601 date-time", field=name) from None
    if moment.tzinfo is None:
        raise ItemError("%(field)s needs a time zone (e.g. 2026-05-01T10:00:00Z)", field=name)
    moment = moment.astimezone(UTC)
    if moment > utcnow() + timedelta(days=1):
        raise ItemError("%(field)s is in the future", field=name)
    if moment.year < 2000:
        raise ItemError("%(field)s is before 2000", field=name)
    return moment


def parse_activity(obj) -> ActivityIn:
    """Validate one API item. Raises ItemError with a message for the `errors` list."""
    if not isinstance(obj, dict):
        raise ItemError("item must be an object")
    member = parse_identity(obj.get("member"))
    kind = _text(obj.get("type"), "type", 32).lower()
    if kind not in ACTIVITY_TYPES:
        raise ItemError("type must be one of: %(types)s", types=", ".join(ACTIVITY_TYPES))
    channel = _text(obj.get("channel"), "channel", 32, required=False)
    channel = (channel or member.channel).lower()
    if not CHANNEL_RE.match(channel):
        raise ItemError("channel must be lower-case letters, digits or _")
    target = parse_identity(obj["target"], "target") if obj.get("target") is not None else None
    weight = obj.get("weight")
    if weight is not None:
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1000:
            raise ItemError("weight must be a number from 0 to 1000")
        weight = float(weight)
    meta = obj.get("meta") or {}
    if not isinstance(meta, dict):
        raise ItemError("meta must be an object")
    if meta:
        encoded = json.dumps(meta, ensure_ascii=False)
        if "\\u0000" in encoded or "\x00" in encoded:
            raise ItemError("meta contains a NUL character")
        if len(encoded) > MAX_META_BYTES:
            raise ItemError("meta is larger than %(limit)s bytes", limit=MAX_META_BYTES)
    return ActivityIn(member=member, type=kind, occurred_at=parse_time(obj.get("occurred_at")),
                      source_id=_text(obj.get("source_id"), "source_id", 200), channel=channel,
                      target=target, weight=weight, meta=meta)


# --- writing -------------------------------------------------------------------------------------

def _best(refs: Iterable[IdentityRef]) -> dict[tuple[str, str], IdentityRef]:
    """One ref per identity, keeping the first non-empty handle, name and email seen in the batch."""
    best: dict[tuple[str, str], IdentityRef] = {}
    for ref in dict.fromkeys(refs):      # the same few members recur throughout a batch
        if ref.email and ref.email != ref.email.lower():
            ref = IdentityRef(ref.channel, ref.external_id, ref.handle, ref.display_name, ref.email.lower())
        old = best.get(ref.key)
        if old is None:
            best[ref.key] = ref
        else:
            best[ref.key] = IdentityRef(ref.channel, ref.external_id, old.handle or ref.handle,
                                        old.display_name or ref.display_name, old.email or ref.email)
    return best


def resolve_members(session: Session, org_id: int, refs: Iterable[IdentityRef],
                    serialise: bool = False) -> tuple[dict, set[int]]:
    """Map every identity to a member id, creating what is missing. Returns (mapping, ids of new members).

    A new identity whose email belongs to an existing member joins that member. serialise: take the
    organisation's member-creation lock before creating, and look again under it (for callers that commit
    right after): concurrent batches naming the same new people then neither wait on each other's
    uncommitted identities nor create members that lose the race and must be deleted."""
    agency_id = require_agency_id()
    wanted = _best(refs)
    if not wanted:
        return {}, set()
    keys = list(wanted)
    found = _lookup_identities(session, org_id, keys)
    missing = [k for k in keys if k not in found]
    if missing and serialise:
        session.execute(text("SELECT pg_advisory_xact_lock(:k, CAST(:org AS integer))"),
                        {"k": locks.MEMBER_CREATION, "org": org_id})
        found.update(_lookup_identities(session, org_id, missing))
        missing = [k for k in missing if k not in found]
    if not missing:
        return found, set()
    by_email: dict[str, int] = {}
    emails = sorted({wanted[k].email for k in missing if wanted[k].email})
    if emails:
        rows = session.execute(select(Member.email, Member.id).where(
            Member.org_id == org_id, Member.email.in_(emails), Member.merged_into_id.is_(None),
            Member.erased_at.is_(None)).order_by(Member.id))
        for email, member_id in rows:
            by_email.setdefault(email, member_id)
    # One new member per new person: identities in this batch that share an email become one member.
    to_create, shared = [], {}
    for k in missing:
        email = wanted[k].email
        if email in by_email:
            continue
        if email and email in shared:
            continue
        to_create.append(k)
        if email:
            shared[email] = k
    now = utcnow()
    new_ids: dict[tuple[str, str], int] = {}
    if to_create:
        new_ids = dict(zip(to_create, _insert_members(session, agency_id, org_id, [wanted[k] for k in to_create]),
                           strict=True))
    identity_rows = []
    for k in missing:
        ref = wanted[k]
        if ref.email in by_email:
            member_id = by_email[ref.email]
        elif k in new_ids:
            member_id = new_ids[k]
        else:
            member_id = new_ids[shared[ref.email]]
        identity_rows.append({"agency_id": agency_id, "org_id": org_id, "member_id": member_id,
                              "channel": k[0], "external_id": k[1], "handle": ref.handle, "created_at": now})
    # A consistent order: two concurrent batches with overlapping new identities wait on each other
    # instead of deadlocking.
    identity_rows.sort(key=lambda r: (r["channel"], r["external_id"]))
    session.execute(text("""
            INSERT INTO identity (agency_id, org_id, member_id, channel, external_id, handle, created_at)
            SELECT :agency, :org, (v->>0)::bigint, v->>1, v->>2, v->>3, now()
            FROM jsonb_array_elements(CAST(:batch AS jsonb)) WITH ORDINALITY AS t(v, n)
            ORDER BY t.n   -- the lock order chosen above
            ON CONFLICT (org_id, channel, external_id) DO NOTHING"""), {"agency": agency_id, "org": org_id,
            "batch": _json_rows([[r["member_id"], r["channel"], r["external_id"], r["handle"]]
                                 for r in identity_rows])})
    # Re-read: a concurrent batch may have created some of these identities first.
    found.update(_lookup_identities(session, org_id, missing))
    # A member we created that no identity points to lost every race: remove it.
    orphans = sorted(set(new_ids.values()) - set(found.values()))
    if orphans:
        session.execute(delete(Member).where(Member.id.in_(orphans)))
    return found, set(new_ids.values()) - set(orphans)


def _insert_members(session: Session, agency_id: int, org_id: int, refs: list[IdentityRef]) -> list[int]:
    """Create one member per ref; returns their ids in the same order."""
    batch = [[public_id(), _name(r), _name(r).lower(), r.email] for r in refs]
    # RETURNING order is not promised, so rows are matched back by their new public id.
    ids = dict(session.execute(text("""
        INSERT INTO member (agency_id, org_id, public_id, display_name, sort_name, email, attributes,
                            is_staff, is_bot, activity_count, created_at)
        SELECT :agency, :org, v->>0, v->>1, v->>2, v->>3, '{}'::jsonb, false, false, 0, now()
        FROM jsonb_array_elements(CAST(:batch AS jsonb)) AS v
        RETURNING public_id, id"""), {"agency": agency_id, "org": org_id, "batch": _json_rows(batch)}).all())
    return [ids[b[0]] for b in batch]


def _lookup_identities(session: Session, org_id: int, keys: list[tuple[str, str]]) -> dict:
    if not keys:
        return {}
    rows = session.execute(text("""
        SELECT i.channel, i.external_id, i.member_id
        FROM jsonb_array_elements(CAST(:keys AS jsonb)) AS k
        JOIN identity i ON i.org_id = :org AND i.channel = k->>0 AND i.external_id = k->>1"""),
        {"org": org_id, "keys": _json_rows(keys)})
    return {(c, e): m for c, e, m in rows}


@dataclass
class Resolved:
    """A batch's members: identity → member id, and the members the batch created (not yet queued)."""
    members: dict
    created: set[int]


def resolve(session: Session, org_id: int, items: list[ActivityIn], serialise: bool = False) -> Resolved:
    """The members of a batch's activities (and their targets), created where missing.

    A caller that commits right after this (then calls `store`) lets concurrent batches naming the same new
    person wait for each other only that long: a new identity's unique-index entry makes the other batch wait
    until the first commits, which cost two import writers half their time when it was the whole batch. The
    new members are queued for scoring here, so a batch that fails after that commit leaves members that are
    scored and sending it again converges. serialise: take the organisation's member-creation lock first (see
    resolve_members)."""
    refs = [a.member for a in items] + [a.target for a in items if a.target]
    members, created = resolve_members(session, org_id, refs, serialise=serialise)
    if created:
        mark_pending(session, org_id, {(m, -1) for m in created})
    return Resolved(members, created)


def store(session: Session, org_id: int, items: list[ActivityIn], resolved: Resolved,
          rescore: bool = True) -> IngestResult:
    """Store a batch of valid activities whose members are resolved. Idempotent per (org, source_id).

    What the batch queued is scored by the incremental scoring job, which this requests (at most one waits in
    the queue; it starts when the caller commits). rescore off: the caller scores the organisation itself (the
    demo seed runs a full recompute after loading)."""
    result = IngestResult(members_created=len(resolved.created))
    if items:
        items = sorted(items, key=lambda a: a.source_id)     # consistent lock order across concurrent batches
        result.accepted = _store(session, require_agency_id(), org_id, items, resolved.members)
        result.duplicates = len(items) - result.accepted
    if rescore and (result.accepted or resolved.created):
        jobs.request(session, jobs.SCORE_INCREMENTAL, org_id)
    return result


def ingest(session: Session, org_id: int, items: list[ActivityIn], rescore: bool = True) -> IngestResult:
    """Resolve and store a batch in the caller's transaction: all or nothing."""
    return store(session, org_id, items, resolve(session, org_id, items), rescore)


_STORE = """
    WITH added AS (
        INSERT INTO activity (agency_id, org_id, member_id, target_member_id, type, channel, occurred_at, weight,
                              source_id, meta, created_at)
        SELECT :agency, :org, (v->>0)::bigint, (v->>1)::bigint, v->>2, v->>3, (v->>4)::timestamptz,
               (v->>5)::float8, v->>6, coalesce(nullif(v->7, 'null'::jsonb), '{}'::jsonb), now()
        FROM jsonb_array_elements(CAST(:batch AS jsonb)) AS v
        ON CONFLICT (org_id, source_id) DO NOTHING
        RETURNING member_id, occurred_at),
    queued AS (
        -- The scoring job re-scores exactly these member days and brings the members' counters up to date;
        -- written with the activity, so never lost (resolve queues new members whole).
        INSERT INTO score_pending (agency_id, org_id, member_id, day)
        SELECT :agency, :org, member_id, day FROM (
            SELECT DISTINCT member_id, (occurred_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01' AS day
            FROM added) d
        ORDER BY member_id, day
        ON CONFLICT DO NOTHING)
    SELECT count(*) FROM added"""


def _store(session: Session, agency_id: int, org_id: int, items: list[ActivityIn], members: dict) -> int:
    """Activities and the scoring queue in one statement, the rows as one JSON document. No member row is
    written or locked here: the scoring job that follows updates each touched member's counters together with
    its score (one row rewrite instead of two; a counter update here cost a sixth of the batch's database
    time and made concurrent batches queue on the busiest members' row locks)."""
    batch = _json_rows([[members[a.member.key], members[a.target.key] if a.target else None, a.type, a.channel,
                         a.occurred_at, a.weight, a.source_id, a.meta or None] for a in items])
    return session.execute(text(_STORE), {"agency": agency_id, "org": org_id, "batch": batch}).scalar_one()


def _json_rows(rows: list[list]) -> str:
    """A batch as one JSON array of arrays: PostgreSQL unpacks it in C with `json_to_recordset`-like
    casts, where psycopg would quote every element of a dozen array parameters in Python."""
    return json.dumps(rows, ensure_ascii=False, default=_json_default, separators=(",", ":"))


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value))


def _name(ref: IdentityRef) -> str:
    return (ref.display_name or ref.handle or ref.email or f"{ref.channel}:{ref.external_id}")[:200]
