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

from sqlalchemy import select, text, tuple_
from sqlalchemy.orm import Session

from .context import require_agency_id
from .db import is_postgres
from .models import ACTIVITY_TYPES, Activity, Identity, Member, utcnow

MAX_BATCH = 5000
CHANNEL_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_META_BYTES = 16_000


class ItemError(ValueError):
    """One activity (or row) is invalid. `str(exc)` is the English sentence (API clients, CSV downloads);
    `template` and `params` let a page show it in the reader's language (the template is a gettext msgid)."""

    def __init__(self, template: str, **params) -> None:
        self.template, self.params = template, {k: str(v) for k, v in params.items()}
        super().__init__(template % self.params if self.params else template)


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

def _insert_ignore(session: Session, table):
    """INSERT ... ON CONFLICT DO NOTHING for the session's database."""
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


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


CREATE_LOCK = 7302     # pg_advisory_xact_lock(CREATE_LOCK, org_id): one batch at a time creates members


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
    if missing and serialise and is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k, CAST(:org AS integer))"),
                        {"k": CREATE_LOCK, "org": org_id})
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
    if is_postgres(session):
        session.execute(text("""
            INSERT INTO identity (agency_id, org_id, member_id, channel, external_id, handle, created_at)
            SELECT :agency, :org, (v->>0)::bigint, v->>1, v->>2, v->>3, now()
            FROM jsonb_array_elements(CAST(:batch AS jsonb)) WITH ORDINALITY AS t(v, n)
            ORDER BY t.n   -- the lock order chosen above
            ON CONFLICT (org_id, channel, external_id) DO NOTHING"""), {"agency": agency_id, "org": org_id,
            "batch": _json_rows([[r["member_id"], r["channel"], r["external_id"], r["handle"]]
                                 for r in identity_rows])})
    else:
        stmt = _insert_ignore(session, Identity.__table__).on_conflict_do_nothing(
            index_elements=["org_id", "channel", "external_id"])
        session.execute(stmt, identity_rows)
    # Re-read: a concurrent batch may have created some of these identities first.
    found.update(_lookup_identities(session, org_id, missing))
    # A member we created that no identity points to lost every race: remove it.
    orphans = sorted(set(new_ids.values()) - set(found.values()))
    if orphans:
        from sqlalchemy import delete
        session.execute(delete(Member).where(Member.id.in_(orphans)))
    return found, set(new_ids.values()) - set(orphans)


def _insert_members(session: Session, agency_id: int, org_id: int, refs: list[IdentityRef]) -> list[int]:
    """Create one member per ref; returns their ids in the same order."""
    now = utcnow()
    if is_postgres(session):
        batch = [[_pid(), _name(r), _name(r).lower(), r.email] for r in refs]
        # RETURNING order is not promised, so rows are matched back by their new public id.
        ids = dict(session.execute(text("""
            INSERT INTO member (agency_id, org_id, public_id, display_name, sort_name, email, attributes,
                                is_staff, is_bot, activity_count, created_at)
            SELECT :agency, :org, v->>0, v->>1, v->>2, v->>3, '{}'::jsonb, false, false, 0, now()
            FROM jsonb_array_elements(CAST(:batch AS jsonb)) AS v
            RETURNING public_id, id"""), {"agency": agency_id, "org": org_id, "batch": _json_rows(batch)}).all())
        return [ids[b[0]] for b in batch]
    params = [{"agency_id": agency_id, "org_id": org_id, "public_id": _pid(), "display_name": _name(r),
               "sort_name": _name(r).lower(), "email": r.email, "attributes": {}, "is_staff": False,
               "is_bot": False, "activity_count": 0, "created_at": now} for r in refs]
    return session.scalars(_insert_ignore(session, Member.__table__).returning(
        Member.__table__.c.id, sort_by_parameter_order=True), params).all()


def _lookup_identities(session: Session, org_id: int, keys: list[tuple[str, str]]) -> dict:
    if not keys:
        return {}
    if is_postgres(session):
        rows = session.execute(text("""
            SELECT i.channel, i.external_id, i.member_id
            FROM jsonb_array_elements(CAST(:keys AS jsonb)) AS k
            JOIN identity i ON i.org_id = :org AND i.channel = k->>0 AND i.external_id = k->>1"""),
            {"org": org_id, "keys": _json_rows(keys)})
        return {(c, e): m for c, e, m in rows}
    found = {}
    for chunk in _chunks(keys, 500):
        rows = session.execute(select(Identity.channel, Identity.external_id, Identity.member_id)
                               .where(Identity.org_id == org_id,
                                      tuple_(Identity.channel, Identity.external_id).in_(chunk)))
        found.update({(c, e): m for c, e, m in rows})
    return found


def ingest(session: Session, org_id: int, items: list[ActivityIn], members_first: bool = False) -> IngestResult:
    """Store a batch of valid activities. Idempotent per (org, source_id).

    members_first: commit the new members and identities (queued for scoring) before the activities are
    written. Concurrent batches naming the same new person then wait for each other only that long: a new
    identity's unique-index entry makes the other batch wait until the first commits, which cost two import
    writers half their time when it was the whole batch. A batch that fails after that point leaves its new
    members behind (each created from an identity the client sent); sending it again converges. Off where
    a batch must be all or nothing."""
    result = IngestResult()
    if not items:
        return result
    agency_id = require_agency_id()
    refs = [a.member for a in items] + [a.target for a in items if a.target]
    members, created = resolve_members(session, org_id, refs, serialise=members_first)
    result.members_created = len(created)
    if members_first:
        if created:
            from .scoring import mark_pending
            mark_pending(session, org_id, {(m, -1) for m in created})
        session.commit()
        created = set()
    items = sorted(items, key=lambda a: a.source_id)     # consistent lock order across concurrent batches
    if is_postgres(session):
        result.accepted = _pg_store(session, agency_id, org_id, items, members, created)
    else:
        result.accepted = _store(session, agency_id, org_id, items, members, created)
    result.duplicates = len(items) - result.accepted
    return result


_PG_STORE = """
    WITH added AS (
        INSERT INTO activity (agency_id, org_id, member_id, target_member_id, type, channel, occurred_at, weight,
                              source_id, meta, created_at)
        SELECT :agency, :org, (v->>0)::bigint, (v->>1)::bigint, v->>2, v->>3, (v->>4)::timestamptz,
               (v->>5)::float8, v->>6, coalesce(nullif(v->7, 'null'::jsonb), '{}'::jsonb), now()
        FROM jsonb_array_elements(CAST(:batch AS jsonb)) AS v
        ON CONFLICT (org_id, source_id) DO NOTHING
        RETURNING member_id, occurred_at),
    queued AS (
        -- The scoring job re-scores exactly these member days and brings the members' counters up to date
        -- (new members whole: a newcomer, perhaps only ever a target, starts at zero); written with the
        -- activity, so never lost.
        INSERT INTO score_pending (agency_id, org_id, member_id, day)
        SELECT :agency, :org, member_id, day FROM (
            SELECT member_id, (occurred_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01' AS day FROM added
            UNION SELECT unnest(CAST(:created AS bigint[])), -1) d
        ORDER BY member_id, day
        ON CONFLICT DO NOTHING)
    SELECT count(*) FROM added"""


def _pg_store(session: Session, agency_id: int, org_id: int, items: list[ActivityIn], members: dict,
              created: set[int]) -> int:
    """Activities and the scoring queue in one statement, the rows as one JSON document. No member row is
    written or locked here: the scoring job that follows updates each touched member's counters together with
    its score (one row rewrite instead of two; a counter update here cost a sixth of the batch's database
    time and made concurrent batches queue on the busiest members' row locks)."""
    batch = _json_rows([[members[a.member.key], members[a.target.key] if a.target else None, a.type, a.channel,
                         a.occurred_at, a.weight, a.source_id, a.meta or None] for a in items])
    return session.execute(text(_PG_STORE), {"agency": agency_id, "org": org_id, "batch": batch,
                                             "created": sorted(created)}).scalar_one()


def _store(session: Session, agency_id: int, org_id: int, items: list[ActivityIn], members: dict,
           created: set[int]) -> int:
    """The same for SQLite (the embedded demo database)."""
    now = utcnow()
    table = Activity.__table__
    rows = [{"agency_id": agency_id, "org_id": org_id, "member_id": members[a.member.key],
             "target_member_id": members[a.target.key] if a.target else None, "type": a.type,
             "channel": a.channel, "occurred_at": a.occurred_at, "weight": a.weight, "source_id": a.source_id,
             "meta": a.meta, "created_at": now} for a in items]
    stmt = _insert_ignore(session, table).on_conflict_do_nothing(index_elements=["org_id", "source_id"]) \
        .returning(table.c.member_id, table.c.occurred_at)
    inserted = session.execute(stmt, rows).all()
    from .scoring import day_number, mark_pending
    mark_pending(session, org_id, {(m, day_number(_aware(t))) for m, t in inserted} | {(m, -1) for m in created})
    return len(inserted)


def _json_rows(rows: list[list]) -> str:
    """A batch as one JSON array of arrays: PostgreSQL unpacks it in C with `json_to_recordset`-like
    casts, where psycopg would quote every element of a dozen array parameters in Python."""
    return json.dumps(rows, ensure_ascii=False, default=_json_default, separators=(",", ":"))


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value))


def _chunks(seq: list, size: int):
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


def _pid() -> str:
    from .ids import public_id
    return public_id()


def _name(ref: IdentityRef) -> str:
    return (ref.display_name or ref.handle or ref.email or f"{ref.channel}:{ref.external_id}")[:200]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
