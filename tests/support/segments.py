"""Hand-made members with known answers for the segment engine and its pages: activity through real ingest, then scores,
stages, flags and attributes set on the rows, so every field has members on both sides of it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from tenants.community.models import AttributeDef, Identity, Member, MemberTag
from tenants.community.validate import ActivityIn, IdentityRef
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tests.support import factories

NOW = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)


HOME = {"cat": "vk", "dan": "email"}     # each person's own channel (telegram otherwise)


def act(channel, ext, days_ago, kind="message", n=0, meta=None):
    """An activity of `ext` (known by their home channel's identity) that happened on `channel`."""
    home = HOME.get(ext, "telegram")
    return ActivityIn(IdentityRef(home, ext, handle=f"@{ext}", display_name=ext.title()), kind,
                      NOW - timedelta(days=days_ago, minutes=n), f"{channel}-{ext}-{kind}-{days_ago}-{n}", channel,
                      meta=meta or {})


# name → (scored columns) ; activity below
PEOPLE = {
    "ann": dict(stage="advocate", score=80.0, loyalty_index=90.0, influence=95.0, at_risk=False, followers=5000),
    "bob": dict(stage="loyal", score=35.0, loyalty_index=55.0, influence=40.0, at_risk=True, followers=10),
    "cat": dict(stage="active", score=12.0, loyalty_index=30.0, influence=60.0, at_risk=False, followers=None),
    "dan": dict(stage="newcomer", score=0.5, loyalty_index=2.0, influence=5.0, at_risk=False, followers=0),
    "eve": dict(stage="participant", score=2.0, loyalty_index=6.0, influence=None, at_risk=False, followers=100),
}


def _activity():
    items = []
    items += [act("telegram", "ann", d, n=i) for i, d in enumerate((1, 2, 3, 5))]          # 4 messages, 30 days
    items += [act("vk", "ann", 2, "post"), act("telegram", "ann", 40, "survey_answer", meta={"nps": 10})]
    items += [act("telegram", "bob", 45, n=i) for i in range(3)]                           # quiet 45 days
    items += [act("vk", "bob", 60, "reaction", n=i) for i in range(6)]
    items += [act("telegram", "bob", 50, "survey_answer", meta={"nps": 3})]
    items += [act("vk", "cat", 10, n=i) for i in range(2)] + [act("vk", "cat", 3, "reaction")]
    items += [act("vk", "cat", 20, "survey_answer", meta={"nps": 8})]
    items += [act("email", "dan", 1, "message")]
    items += [act("telegram", "eve", 200, "message"), act("telegram", "staffer", 1, "message"),
              act("telegram", "robot", 1, "message")]
    return items


@dataclass
class World:
    agency: object
    org: object
    ids: dict[str, int]

    def names(self, member_ids) -> set[str]:
        back = {v: k for k, v in self.ids.items()}
        return {back[i] for i in member_ids}


def build_world():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    factories.ingest_into(a, o, _activity())
    factories.settle(a, o)
    with tenant_scope(a.id, o.id), job_session() as s:
        ids = {m.display_name.lower(): m.id for m in s.scalars(select(Member))}
        for name, values in PEOPLE.items():
            s.execute(update(Member).where(Member.id == ids[name]).values(**values))
        s.execute(update(Member).where(Member.id == ids["staffer"]).values(is_staff=True))
        s.execute(update(Member).where(Member.id == ids["robot"]).values(is_bot=True))
        s.execute(update(Member).where(Member.id == ids["ann"]).values(attributes={"plan": "gold", "spend": 120,
                                                                                    "since": "2024-05-01"}))
        s.execute(update(Member).where(Member.id == ids["bob"]).values(attributes={"plan": "silver", "spend": 30}))
        s.execute(update(Member).where(Member.id == ids["dan"]).values(
            first_seen_at=NOW - timedelta(days=400)))
        for key, kind, choices in (("plan", "choice", ["gold", "silver"]), ("spend", "number", []),
                                   ("since", "date", []), ("note", "text", [])):
            s.add(AttributeDef(org_id=o.id, key=key, label=key.title(), kind=kind, choices=choices))
        s.add_all([Identity(org_id=o.id, member_id=ids[name], channel="vk", external_id=f"vk-{name}")
                   for name in ("ann", "bob")])
        s.add_all([MemberTag(org_id=o.id, member_id=ids["ann"], tag="vip"),
                   MemberTag(org_id=o.id, member_id=ids["cat"], tag="vip"),
                   MemberTag(org_id=o.id, member_id=ids["cat"], tag="barista")])
        s.commit()
    return World(a, o, ids)
