"""Duplicate groups: one group per person (the connected components of shared email, phone, handle and name
key), its survivor, paging, renamed members keyed again, dismissals."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tenants.community import duplicates
from tenants.community.duplicates import name_key
from tenants.community.models import Identity, Member, MemberSearch, MergeDismissal
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tests.support import factories

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def add(s, org, name, email=None, phone=None, handles=(), activity=0, days=0, **extra) -> Member:
    m = Member(org_id=org.id, display_name=name, sort_name=name.lower(), email=email, phone=phone,
               activity_count=activity, first_seen_at=T0 + timedelta(days=days), **extra)
    s.add(m)
    s.flush()
    for channel, handle in handles:
        s.add(Identity(org_id=org.id, member_id=m.id, channel=channel, external_id=f"{channel}-{handle}-{m.id}",
                       handle=handle))
    s.flush()
    return m


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    o, other = factories.org(a, "Coffee"), factories.org(a, "Tea")
    return a, o, other


def names(s, org_id):
    out = {}
    for ids, reasons in duplicates.components(s, org_id):
        out[frozenset(s.get(Member, i).display_name for i in ids)] = reasons
    return out


def test_members_linked_by_any_key_form_one_group_with_its_reasons(world):
    a, o, other = world
    with tenant_scope(a.id), job_session() as s:
        add(s, o, "Юлия Ковалёва", handles=[("telegram", "yk")], activity=3, days=5)
        add(s, o, "Yulia Kovaleva", email="yulia@x.test", handles=[("vk", "yk_vk")], activity=1, days=1)
        add(s, o, "J. K.", email="yulia@x.test", activity=9, days=9)      # linked to the Latin one by email only
        add(s, o, "Marat", handles=[("telegram", "@marat_k")])
        add(s, o, "M K", handles=[("instagram", "marat_k")])
        add(s, o, "Boris One", phone="+79001112233")
        add(s, o, "Boris Two", phone="+79001112233")
        add(s, o, "Anna", handles=[("telegram", "ann1")])
        add(s, o, "Anna", handles=[("vk", "ann2")])                 # a lone first name: not enough
        for _ in range(5):
            add(s, o, "Ivan Petrov")                                # one name key for five people: a common name
        add(s, o, "Same Handle", handles=[("telegram", "samehandle")])
        add(s, o, "Other Person", handles=[("telegram", "samehandle")])  # the same handle on one channel only
        add(s, o, "Gone Away", email="yulia@x.test", erased_at=T0)       # erased: not a duplicate of anyone
        add(s, other, "Tea Yulia", email="yulia@x.test")                 # another organisation's member
        s.commit()
    with tenant_scope(a.id), job_session() as s:
        assert duplicates.refresh_name_keys(s, o.id) == 17
        assert names(s, o.id) == {
            frozenset({"Юлия Ковалёва", "Yulia Kovaleva", "J. K."}): {"name", "email"},
            frozenset({"Marat", "M K"}): {"handle"},
            frozenset({"Boris One", "Boris Two"}): {"phone"},
        }
        first = duplicates.page(s, o.id, 1, 20)
        assert (first.total, first.pages) == (3, 1)
        yulia = first.groups[0]                                       # the most evidence first
        # The survivor has the most activity; the Cyrillic spelling, seen before the Latin one, comes next.
        assert [m.display_name for m in yulia.members] == ["J. K.", "Юлия Ковалёва", "Yulia Kovaleva"]
        assert [i.handle for i in first.identities[yulia.members[1].id]] == ["yk"]
        assert duplicates.refresh_name_keys(s, o.id) == 0             # nothing renamed since: nothing to key


def test_survivor_ties_go_to_the_member_seen_first(world):
    a, o, _ = world
    with tenant_scope(a.id), job_session() as s:
        add(s, o, "Late Comer", phone="1", activity=4, days=30)
        add(s, o, "Early Bird", phone="1", activity=4, days=2)
        assert [m.display_name for m in duplicates.page(s, o.id, 1, 20).groups[0].members] == \
            ["Early Bird", "Late Comer"]


def test_a_renamed_member_is_keyed_again(world):
    a, o, _ = world
    with tenant_scope(a.id), job_session() as s:
        add(s, o, "Pavel Sidorov")
        anna = add(s, o, "Anna")
        assert duplicates.page(s, o.id, 1, 20).total == 0
        anna.display_name, anna.sort_name = "Павел Сидоров", "павел сидоров"
        s.flush()
        assert s.scalar(select(MemberSearch.name_key).where(MemberSearch.member_id == anna.id)) is None
        assert duplicates.page(s, o.id, 1, 20).total == 1
        assert s.scalar(select(MemberSearch.name_key).where(MemberSearch.member_id == anna.id)) == \
            name_key("Pavel Sidorov")


def test_pages_of_groups(world):
    a, o, _ = world
    with tenant_scope(a.id), job_session() as s:
        for n in range(45):
            add(s, o, f"P{n}a", phone=f"+7{n:04d}")
            add(s, o, f"P{n}b", phone=f"+7{n:04d}")
        pages = [duplicates.page(s, o.id, k, 20) for k in (1, 2, 3)]
        assert [(p.total, p.pages, p.number, len(p.groups)) for p in pages] == \
            [(45, 3, 1, 20), (45, 3, 2, 20), (45, 3, 3, 5)]
        seen = [g.key for p in pages for g in p.groups]
        assert len(set(seen)) == 45                                   # every group once, on one page
        assert duplicates.page(s, o.id, 99, 20).number == 3           # past the end: the last page


def test_dismissing_a_group_remembers_every_pair(world):
    a, o, _ = world
    with tenant_scope(a.id), job_session() as s:
        trio = [add(s, o, f"Mail {n}", email="same@x.test") for n in range(3)]
        pair = [add(s, o, f"Phone {n}", phone="5") for n in range(2)]
        groups = duplicates.resolve(s, o.id, [" ".join(m.public_id for m in trio)])
        duplicates.dismiss_groups(s, o.id, groups, None)
        assert s.scalar(select(func.count()).select_from(MergeDismissal)) == 3
        assert names(s, o.id) == {frozenset(m.display_name for m in pair): {"phone"}}


def test_merging_groups_keeps_the_survivor_and_can_be_undone(world):
    a, o, other = world
    from tenants.community.merge import unmerge
    from tenants.core.audit import Actor
    with tenant_scope(a.id), job_session() as s:
        small = add(s, o, "Small", email="m@x.test", activity=1)
        big = add(s, o, "Big", email="m@x.test", activity=5)
        third = add(s, o, "Third", email="m@x.test")
        stranger = add(s, other, "Stranger", email="m@x.test")
        key = " ".join(m.public_id for m in (small, big, third, stranger))
        (survivor, records), = duplicates.merge_groups(s, duplicates.resolve(s, o.id, [key]), Actor(email="t"))
        assert survivor.id == big.id and len(records) == 2
        assert (small.merged_into_id, third.merged_into_id, stranger.merged_into_id) == (big.id, big.id, None)
        assert duplicates.page(s, o.id, 1, 20).total == 0
        unmerge(s, records[0], Actor(email="t"))
        assert small.merged_into_id is None and duplicates.page(s, o.id, 1, 20).total == 1


def test_keys_in_batches_and_for_the_whole_agency(world):
    a, o, other = world
    with tenant_scope(a.id), job_session() as s:
        for n in range(3):
            add(s, o, f"Coffee Person{n}")
            add(s, other, f"Tea Person{n}")
        assert duplicates.refresh_name_keys(s, o.id, limit=2) == 2
        assert duplicates.refresh_name_keys(s, o.id) == 1
        assert duplicates.refresh_name_keys(s) == 3                   # every organisation of the tenant
        assert duplicates.refresh_name_keys(s) == 0
