"""Activity ingestion, shared by the API, CSV import, Telegram import and the demo; every value it stores has
passed community.validate (the items are made there) and community.values.

Set-based: a batch resolves all its identities with one query, creates the missing members and
identities with multi-row inserts, inserts activities with `ON CONFLICT (org_id, source_id) DO NOTHING`
(so re-sending is harmless and counted as a duplicate), and queues the member days it touched for the
scoring job, which brings scores and member counters (activity count, first seen, last active) up to date
together. Runs inside the organisation's tenant scope.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from tenants.agency import jobs
from tenants.community.models import Member
from tenants.community.rescore import mark_members, mark_pending
from tenants.community.validate import ActivityIn, IdentityRef, IngestResult
from tenants.community.values import limit
from tenants.core import locks
from tenants.core.base import utcnow
from tenants.core.context import require_agency_id
from tenants.core.ids import public_id


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
    batch = [[public_id(), _name(r), sort_name(_name(r)), r.email] for r in refs]
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
    if result.duplicates and resolved.created:
        # A duplicate is refused whole: a member created only for it (a new identity on an old source_id) goes.
        result.members_created -= forget(session, org_id, resolved.created)
    if rescore and (result.accepted or resolved.created):
        jobs.request(session, jobs.SCORE_INCREMENTAL, org_id)
    return result


def forget(session: Session, org_id: int, created: set[int]) -> int:
    """Remove the members a batch created (`Resolved.created`, perhaps committed by a caller of `resolve`) that
    no activity names: a failed batch, or an item refused as a duplicate, leaves no member behind. Under the
    member-creation lock, so a concurrent batch that found one of them keeps it. Returns how many went."""
    if not created:
        return 0
    session.execute(text("SELECT pg_advisory_xact_lock(:k, CAST(:org AS integer))"),
                    {"k": locks.MEMBER_CREATION, "org": org_id})
    gone = list(session.scalars(text("""
        DELETE FROM member m WHERE m.org_id = :org AND m.id = ANY(CAST(:ids AS bigint[]))
          AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.member_id = m.id)
          AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.target_member_id = m.id)
        RETURNING m.id"""), {"org": org_id, "ids": sorted(created)}))
    if gone:
        session.execute(text("DELETE FROM score_pending WHERE org_id = :org AND member_id = ANY(CAST(:ids AS "
                             "bigint[]))"), {"org": org_id, "ids": gone})
    return len(gone)


def ingest(session: Session, org_id: int, items: list[ActivityIn], rescore: bool = True) -> IngestResult:
    """Resolve and store a batch in the caller's transaction: all or nothing."""
    return store(session, org_id, items, resolve(session, org_id, items), rescore)


def store_known(session: Session, org_id: int, items: list[tuple[int, ActivityIn]], rescore: bool = True) -> int:
    """Store activities of members the caller already holds (an event's registrations, check-ins, hosts), made by
    `validate.activity` like every other path's. Idempotent per (org, source_id); answers how many were new."""
    if not items:
        return 0
    members = {a.member.key: member_id for member_id, a in items}
    accepted = _store(session, require_agency_id(), org_id, sorted((a for _, a in items), key=lambda a: a.source_id),
                      members)
    if rescore and accepted:
        jobs.request(session, jobs.SCORE_INCREMENTAL, org_id)
    return accepted


def remove(session: Session, org_id: int, source_ids: list[str]) -> int:
    """Delete activities by source id (an undone check-in) and queue their members' whole histories for
    re-scoring, which takes them out of scores, counters and rollups. Answers how many went."""
    if not source_ids:
        return 0
    gone = list(session.scalars(text(
        "DELETE FROM activity WHERE org_id = :org AND source_id = ANY(CAST(:ids AS text[])) RETURNING member_id"),
        {"org": org_id, "ids": sorted(set(source_ids))}))
    if gone:
        mark_members(session, gone)
        jobs.request(session, jobs.SCORE_INCREMENTAL, org_id)
    return len(gone)


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
    name = ref.display_name or ref.handle or ref.email or f"{ref.channel}:{ref.external_id}"
    return name[:limit(Member.display_name)]


def sort_name(display_name: str | None) -> str:
    """The member list's sort key: the name lower-cased, within its column (lower-casing can lengthen a text)."""
    return (display_name or "").lower()[:limit(Member.sort_name)]
