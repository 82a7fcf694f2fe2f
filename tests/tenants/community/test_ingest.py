"""The shared ingestion path: identities resolve to members, activities are stored once."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from tenants.agency import jobs
from tenants.agency.models import JobRun
from tenants.community.ingest import ingest, resolve, store
from tenants.community.models import Activity, Identity, Member
from tenants.community.validate import ActivityIn, IdentityRef, ItemError, parse_activity
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support import factories


def _act(ext: str, source: str, when: str = "2026-05-01T10:00:00+00:00", kind: str = "message",
         target: str | None = None, email: str | None = None) -> ActivityIn:
    return ActivityIn(member=IdentityRef("telegram", ext, handle=f"@{ext}", display_name=ext.title(), email=email),
                      type=kind, occurred_at=datetime.fromisoformat(when), source_id=source, channel="telegram",
                      target=IdentityRef("telegram", target) if target else None)


@pytest.fixture
def org():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    return a, o


def _ingest(a, o, items):
    with tenant_scope(a.id, o.id), job_session() as s:
        return ingest(s, o.id, items)


def test_ingest_creates_members_and_is_idempotent(org):
    a, o = org
    items = [_act("ann", "m1"), _act("bob", "m2", target="ann", kind="reply"),
             _act("ann", "m3", "2026-04-01T09:00:00Z")]
    first = _ingest(a, o, items)
    assert (first.accepted, first.duplicates, first.members_created) == (3, 0, 2)
    again = _ingest(a, o, items + [_act("ann", "m1")])      # same items again, one twice
    assert (again.accepted, again.duplicates, again.members_created) == (0, 4, 0)
    with system_scope() as s:
        ann = s.scalar(select(Member).join(Identity, Identity.member_id == Member.id)
                       .where(Identity.external_id == "ann"))
        # Ingest leaves member rows alone; the scoring job it queues brings the counters up to date with the score.
        assert (ann.activity_count, ann.last_active_at) == (0, None)
        ann_id = ann.id
    factories.settle(a, o)
    with system_scope() as s:
        ann = s.get(Member, ann_id)
        assert ann.activity_count == 2
        assert ann.first_seen_at == datetime(2026, 4, 1, 9, tzinfo=UTC)
        assert ann.last_active_at == datetime(2026, 5, 1, 10, tzinfo=UTC)
        reply = s.scalar(select(Activity).where(Activity.source_id == "m2"))
        assert reply.target_member_id == ann.id
        assert s.scalar(select(func.count()).select_from(Activity)) == 3
        assert {m.agency_id for m in s.scalars(select(Member))} == {a.id}


def test_duplicate_source_ids_inside_one_batch_count_once(org):
    a, o = org
    r = _ingest(a, o, [_act("ann", "same"), _act("ann", "same"), _act("bob", "same")])
    assert (r.accepted, r.duplicates) == (1, 2)


def test_new_identity_with_a_known_email_joins_that_member(org):
    a, o = org
    _ingest(a, o, [_act("ann", "m1", email="Ann@Mail.test")])
    r = _ingest(a, o, [ActivityIn(member=IdentityRef("vk", "id77", email="ann@mail.test"), type="post",
                                  occurred_at=datetime(2026, 5, 2, tzinfo=UTC), source_id="vk1", channel="vk")])
    assert r.members_created == 0
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 1
        assert s.scalar(select(func.count()).select_from(Identity)) == 2


def test_source_ids_are_per_organisation(org):
    a, o = org
    other = factories.org(a, "Tea")
    _ingest(a, o, [_act("ann", "m1")])
    with tenant_scope(a.id, other.id), job_session() as s:
        assert ingest(s, other.id, [_act("ann", "m1")]).accepted == 1


@pytest.mark.parametrize("item, message", [
    ({}, "member must be an object"),
    ({"member": {"channel": "telegram"}}, "member.external_id is required"),
    ({"member": {"channel": "Tele gram", "external_id": "1"}}, "member.channel"),
    ({"member": {"channel": "telegram", "external_id": "1"}, "type": "dance"}, "type must be one of"),
    ({"member": {"channel": "telegram", "external_id": "1"}, "type": "message",
      "occurred_at": "2026-05-01T10:00:00"}, "needs a time zone"),
    ({"member": {"channel": "telegram", "external_id": "1"}, "type": "message",
      "occurred_at": "yesterday"}, "ISO 8601"),
    ({"member": {"channel": "telegram", "external_id": "1"}, "type": "message",
      "occurred_at": "2026-05-01T10:00:00Z"}, "source_id is required"),
    ({"member": {"channel": "telegram", "external_id": "1", "email": "nope"}, "type": "message",
      "occurred_at": "2026-05-01T10:00:00Z", "source_id": "x"}, "email is not a valid address"),
    ({"member": {"channel": "telegram", "external_id": "1"}, "type": "message",
      "occurred_at": "2026-05-01T10:00:00Z", "source_id": "x", "weight": -1}, "weight must be"),
])
def test_parse_activity_explains_what_is_wrong(item, message):
    with pytest.raises(ItemError, match=message):
        parse_activity(item)


def test_concurrent_batches_naming_the_same_new_people_create_each_once(org):
    """Two writers (the API's gunicorn workers, an import's two connections) with overlapping new identities:
    each person becomes one member, no batch waits for or deletes another's, every activity is kept."""
    import threading
    a, o = org
    people = [f"p{i:03d}" for i in range(200)]
    barrier, results, failures = threading.Barrier(2), [], []

    def writer(tag: str) -> None:
        try:
            batch = [_act(p, f"{tag}{i}", target=people[(i + 1) % 200]) for i, p in enumerate(people)]
            barrier.wait()
            with tenant_scope(a.id, o.id), job_session() as s:
                resolved = resolve(s, o.id, batch, serialise=True)
                s.commit()
                results.append(store(s, o.id, batch, resolved))
        except BaseException as exc:      # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(tag,)) for tag in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert sum(r.accepted for r in results) == 400
    assert sum(r.members_created for r in results) == 200
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 200
        assert s.scalar(select(func.count()).select_from(Identity)) == 200
        assert s.scalar(select(func.count(func.distinct(Identity.member_id)))) == 200
        assert s.scalar(select(func.count()).select_from(Activity)) == 400
        # New members were queued whole for scoring in their own committed transaction.
        queued = s.scalar(text("SELECT count(*) FROM score_pending WHERE day = -1"))
    assert queued == 200


def _scoring_runs(a, o) -> list[tuple[str, str]]:
    with tenant_scope(a.id, o.id), job_session() as s:
        return [(r.kind, r.status) for r in s.scalars(select(JobRun).order_by(JobRun.id))]


def test_ingest_requests_the_incremental_scoring_once_and_only_when_committed(org):
    a, o = org
    with tenant_scope(a.id, o.id), job_session() as s:       # rolled back: no activity, no job
        ingest(s, o.id, [_act("ann", "r1")])
        s.rollback()
    assert _scoring_runs(a, o) == []
    _ingest(a, o, [_act("ann", "m1")])
    assert _scoring_runs(a, o) == [(jobs.SCORE_INCREMENTAL, "queued")]
    _ingest(a, o, [_act("bob", "m2")])                       # the queued run will pick this batch up too
    _ingest(a, o, [_act("ann", "m1")])                       # a duplicate queues nothing new either
    assert _scoring_runs(a, o) == [(jobs.SCORE_INCREMENTAL, "queued")]
    with tenant_scope(a.id, o.id), job_session() as s:
        ingest(s, o.id, [_act("cat", "m3")], rescore=False)  # the caller scores itself (the demo seed)
    assert _scoring_runs(a, o) == [(jobs.SCORE_INCREMENTAL, "queued")]
