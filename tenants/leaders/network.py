"""The influence network: an organisation's most influential members and who replies to, reacts to and
mentions whom among them over the last 90 days (the window influence is scored over)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ARRAY, BigInteger, any_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from tenants.community.models import Activity, Member
from tenants.scoring.influence import INFLUENCE_DAYS

TOP = 300       # the most members drawn: past a few hundred nodes a force layout is a hairball on a phone
# A reply and a reaction are aimed at someone's post; a message aimed at someone mentions them.
EDGE_TYPES = ("reply", "reaction", "message")


@dataclass
class Node:
    id: int
    public_id: str
    label: str
    stage: str | None
    influence: float        # percentile within the organisation, 0-100
    influence_raw: float    # the score the percentile ranks: it tells the top few hundred apart
    leader: bool


@dataclass
class Edge:
    source: int
    target: int
    weight: int


@dataclass
class Network:
    nodes: list[Node]
    edges: list[Edge]


def _people(org_id: int):
    """Members the network shows: people, neither merged away nor erased."""
    return (Member.org_id == org_id, Member.is_staff.is_(False), Member.is_bot.is_(False),
            Member.merged_into_id.is_(None), Member.erased_at.is_(None))


def network(session: Session, org_id: int, as_of: datetime, leader_ids: set[int] = frozenset(),
            limit: int = TOP) -> Network:
    """The `limit` members with the highest influence percentile (leaders always), and the interactions among
    them between `as_of` − 90 days and `as_of`, one edge per (source, target) weighted by their count."""
    leaders = sorted(leader_ids)
    ranked = (select(Member.id, Member.public_id, Member.display_name, Member.stage, Member.influence,
                     Member.influence_raw)
              .where(*_people(org_id), or_(Member.influence > 0, Member.id.in_(leaders)))
              .order_by(Member.id.in_(leaders).desc(), Member.influence.desc().nulls_last(), Member.id)
              .limit(limit))
    nodes = [Node(i, p, name or "", stage, float(inf or 0), float(raw or 0), i in leader_ids)
             for i, p, name, stage, inf, raw in session.execute(ranked)]
    ids = [n.id for n in nodes]
    if not ids:
        return Network([], [])
    among = bindparam("ids", ids, type_=ARRAY(BigInteger))
    stmt = (select(Activity.member_id, Activity.target_member_id, func.count())
            .where(Activity.org_id == org_id, Activity.type.in_(EDGE_TYPES),
                   Activity.occurred_at > as_of - timedelta(days=INFLUENCE_DAYS), Activity.occurred_at <= as_of,
                   Activity.member_id == any_(among), Activity.target_member_id == any_(among),
                   Activity.member_id != Activity.target_member_id)
            .group_by(Activity.member_id, Activity.target_member_id)
            .order_by(Activity.member_id, Activity.target_member_id))
    return Network(nodes, [Edge(s, t, n) for s, t, n in session.execute(stmt)])
