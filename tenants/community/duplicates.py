"""Possible duplicates: members who share an email, a phone, a handle on another channel or a name key,
grouped into one group per person (the connected components of those links), and the group actions.

The keys are grouped in SQL (one statement; the name key is stored on `member_search`, migration 0025);
only the links that come out of it (a few hundred pairs in a community of thousands) are joined into groups
in Python. Dismissed pairs do not link."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations

from slugify import slugify
from sqlalchemy import ARRAY, BigInteger, Text, and_, bindparam, func, literal, select, union_all, update
from sqlalchemy.orm import Session

from tenants.community import merge
from tenants.community.models import Identity, Member, MemberMerge, MemberSearch, MergeDismissal
from tenants.core.audit import Actor

REASONS = ("email", "phone", "handle", "name")
KEY_LIMIT = 8       # more members on one email, phone or handle: a shared inbox or a common word, not one person
NAME_LIMIT = 4      # more people with one name key: a common name
GROUP_LIMIT = 8     # the most members one bulk action merges or dismisses as one group
BULK_LIMIT = 100    # the most groups one bulk action takes
# The most names a page request keys (about 0.1 s of Python per 1,000); the nightly agency_cleanup keys the
# rest, so a large import shows its duplicates fully by the next day at the latest, and its first ones at once.
KEY_BATCH = 5000

_SOUNDS = (("kh", "h"), ("ts", "c"), ("tz", "c"), ("ph", "f"), ("ck", "k"), ("x", "ks"), ("q", "k"),
           ("w", "v"), ("j", "i"), ("y", "i"))


def name_key(name: str) -> str | None:
    """A spelling-insensitive key: Cyrillic transliterated, common Latin spellings folded, doubled letters
    collapsed, words sorted. 'Юлия Ковалёва', 'Yulia Kovaleva' and 'Iuliia Kovaleva' share one key."""
    words = []
    for word in slugify(name or "", separator=" ").split():
        for a, b in _SOUNDS:
            word = word.replace(a, b)
        word = re.sub(r"(.)\1+", r"\1", word)
        word = re.sub(r"[^a-z]", "", word)
        if word.endswith("of"):            # Smirnoff, Ivanoff: the French-style spelling of -ov
            word = word[:-1] + "v"
        if len(word) >= 2:
            words.append(word)
    if len(words) < 2:        # a lone first name matches far too many people
        return None
    return " ".join(sorted(words))


@dataclass
class Group:
    """One person's members, the survivor a merge would keep first."""
    members: list[Member]
    reasons: set[str] = field(default_factory=set)

    @property
    def survivor(self) -> Member:
        return self.members[0]

    @property
    def key(self) -> str:
        """The group as the bulk form posts it: its members' public ids."""
        return " ".join(m.public_id for m in self.members)


@dataclass
class GroupPage:
    groups: list[Group]
    total: int
    number: int
    pages: int
    identities: dict[int, list[Identity]]


def refresh_name_keys(session: Session, org_id: int | None = None, limit: int | None = None) -> int:
    """Key the members whose name changed since they were keyed (new members included), of one organisation
    or (None) of the tenant's every one, at most `limit` of them; returns how many."""
    s = MemberSearch
    stale = select(s.member_id, s.sort_name).where(s.name_key_of.is_distinct_from(s.sort_name)).limit(limit)
    rows = session.execute(stale.where(s.org_id == org_id) if org_id is not None else stale).all()
    if rows:
        given = func.unnest(bindparam("ids", [r[0] for r in rows], ARRAY(BigInteger)),
                            bindparam("keys", [name_key(r[1]) for r in rows], ARRAY(Text)),
                            bindparam("names", [r[1] for r in rows], ARRAY(Text))
                            ).table_valued("id", "key", "name").render_derived()
        session.execute(update(s).where(s.member_id == given.c.id)
                        .values(name_key=given.c.key, name_key_of=given.c.name))
    return len(rows)


def _live(org_id: int):
    return and_(Member.org_id == org_id, Member.merged_into_id.is_(None), Member.erased_at.is_(None))


def _links(org_id: int):
    """(reason, member ids) for every key that two or more live members share: one statement."""
    ids = func.array_agg(func.distinct(Member.id))
    n = func.count(func.distinct(Member.id))
    by_field = [select(literal(reason), ids).where(_live(org_id), col.is_not(None)).group_by(col)
                .having(n.between(2, KEY_LIMIT)) for reason, col in (("email", Member.email), ("phone", Member.phone))]
    handle = func.lower(func.ltrim(Identity.handle, "@"))
    by_handle = (select(literal("handle"), ids).select_from(Identity).join(Member, Member.id == Identity.member_id)
                 .where(Identity.org_id == org_id, _live(org_id), func.length(Identity.handle) >= 4)
                 .group_by(handle)
                 .having(and_(n.between(2, KEY_LIMIT), func.count(func.distinct(Identity.channel)) > 1)))
    by_name = (select(literal("name"), ids).select_from(MemberSearch).join(Member, Member.id == MemberSearch.member_id)
               .where(MemberSearch.org_id == org_id, MemberSearch.name_key.is_not(None), _live(org_id))
               .group_by(MemberSearch.name_key).having(n.between(2, NAME_LIMIT)))
    return union_all(*by_field, by_handle, by_name)


def components(session: Session, org_id: int) -> list[tuple[list[int], set[str]]]:
    """Every group of linked members (ids, reasons), largest evidence first, then by their first member."""
    dismissed = {(a, b) for a, b in session.execute(select(MergeDismissal.member_a_id, MergeDismissal.member_b_id)
                                                     .where(MergeDismissal.org_id == org_id))}
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    edges = []
    for reason, ids in session.execute(_links(org_id)):
        for a, b in combinations(sorted(ids), 2):
            if (a, b) not in dismissed:
                parent[find(a)] = find(b)
                edges.append((reason, a))
    members: dict[int, list[int]] = {}
    for x in parent:
        members.setdefault(find(x), []).append(x)
    reasons: dict[int, set[str]] = {}
    for reason, a in edges:
        reasons.setdefault(find(a), set()).add(reason)
    found = [(sorted(ids), reasons[root]) for root, ids in members.items()]
    return sorted(found, key=lambda g: (-len(g[1]), -len(g[0]), g[0][0]))


def _survivor_first(group: list[Member]) -> list[Member]:
    """The survivor is the member with the most activity, then the one seen first."""
    return sorted(group, key=lambda m: (-(m.activity_count or 0), m.first_seen_at or m.created_at or datetime.max,
                                        m.id))


def page(session: Session, org_id: int, number: int, size: int) -> GroupPage:
    refresh_name_keys(session, org_id, KEY_BATCH)
    found = components(session, org_id)
    pages = max(1, -(-len(found) // size))
    number = min(max(number, 1), pages)
    shown = found[(number - 1) * size:number * size]
    wanted = [i for ids, _ in shown for i in ids]
    by_id = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(wanted)))} if wanted else {}
    identities: dict[int, list[Identity]] = {}
    if wanted:
        for ident in session.scalars(select(Identity).where(Identity.member_id.in_(wanted))
                                     .order_by(Identity.channel, Identity.id)):
            identities.setdefault(ident.member_id, []).append(ident)
    groups = [Group(_survivor_first([by_id[i] for i in ids]), reasons) for ids, reasons in shown]
    return GroupPage(groups, len(found), number, pages, identities)


def resolve(session: Session, org_id: int, posted: list[str]) -> list[list[Member]]:
    """The bulk form's groups as live members of this organisation. Ids of other organisations, merged or
    erased members are left out; a group left with fewer than two members is dropped."""
    if len(posted) > BULK_LIMIT:
        raise merge.MergeError("Choose at most 100 groups at a time.")
    keys = [key.split()[:GROUP_LIMIT] for key in posted]
    wanted = {k for ks in keys for k in ks}
    found = {m.public_id: m for m in session.scalars(select(Member).where(_live(org_id),
                                                                          Member.public_id.in_(wanted)))}
    groups = [list({found[k].id: found[k] for k in ks if k in found}.values()) for ks in keys]
    return [g for g in groups if len(g) > 1]


def merge_groups(session: Session, groups: list[list[Member]], actor: Actor) -> list[tuple[Member, list[MemberMerge]]]:
    """Merge each group into its survivor, one `merge.merge` per member (each can be undone on its own)."""
    done = []
    for group in groups:
        group = [m for m in group if m.merged_into_id is None]     # a member posted in two groups merges once
        if len(group) < 2:
            continue
        survivor, *others = _survivor_first(group)
        done.append((survivor, [merge.merge(session, survivor, other, actor) for other in others]))
    return done


def dismiss_groups(session: Session, org_id: int, groups: list[list[Member]], user_id: int | None) -> None:
    """Remember every pair of each group as "not the same person"."""
    for group in groups:
        for a, b in combinations(group, 2):
            merge.dismiss(session, org_id, a, b, user_id)
