"""Believable demo communities: a year of activity with 90-9-1 participation.

1% of members create most of the activity, 9% take part now and then, 90% mostly read (a join, a few
reactions). Deterministic (a seeded random) and idempotent: member identities and activity source ids are
derived from the seed, so running it again adds nothing."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tenants.community.ingest import ActivityIn, IdentityRef, ingest
from tenants.community.models import AttributeDef, Identity, Member
from tenants.community.profile import add_tag, define_attribute

FIRST = ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Ирина", "Светлана", "Татьяна", "Юлия", "Екатерина",
         "Алексей", "Дмитрий", "Сергей", "Андрей", "Максим", "Иван", "Павел", "Никита", "Артём", "Михаил",
         "Kate", "Alex", "Daria", "Timur", "Leyla", "Marat", "Polina", "Gleb", "Vera", "Ilya"]
LAST = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков", "Фёдоров",
        "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов",
        "Orlov", "Hasanov", "Kim", "Safin", "Garcia", "Petrov"]
FEMALE = {"Анна", "Мария", "Елена", "Ольга", "Наталья", "Ирина", "Светлана", "Татьяна", "Юлия", "Екатерина",
          "Kate", "Daria", "Leyla", "Polina", "Vera"}
TRANSLIT = {"Анна": "Anna", "Мария": "Maria", "Елена": "Elena", "Ольга": "Olga", "Юлия": "Yulia",
            "Алексей": "Alexey", "Дмитрий": "Dmitry", "Сергей": "Sergey", "Иван": "Ivan", "Павел": "Pavel",
            "Иванов": "Ivanov", "Смирнов": "Smirnov", "Кузнецов": "Kuznetsov", "Попов": "Popov",
            "Соколов": "Sokolov", "Волков": "Volkov", "Павлов": "Pavlov"}
CITIES = ["Москва", "Санкт-Петербург", "Казань", "Новосибирск", "Екатеринбург", "Нижний Новгород", None, None]
# (type, share) for ordinary participation; events and advocacy are rarer.
MIX = [("message", 46), ("reaction", 26), ("reply", 12), ("post", 4), ("share", 2), ("event_registration", 2),
       ("event_attendance", 1.5), ("survey_answer", 2), ("review", 1), ("referral", .5), ("content_created", 1),
       ("purchase", 2)]


def _name(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    if first in FEMALE and last[-2:] in ("ов", "ёв", "ин", "ев"):
        last += "а"
    return f"{first} {last}"


def seed_org(session: Session, org_id: int, org_key: str, members: int = 3000, seed: int = 1,
             now: datetime | None = None) -> int:
    """Fill one organisation; returns activities added (0 on a second run)."""
    rng = random.Random(f"{org_key}:{seed}")
    now = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=365)
    people = []
    for n in range(members):
        share = n / members
        tier = "core" if share < 0.01 else "active" if share < 0.10 else "lurker"
        name = _name(rng)
        channel = rng.choices(["telegram", "vk", "email", "offline"], [70, 18, 8, 4])[0]
        ext = f"{org_key}-{n}" if channel != "email" else f"{org_key}.{n}@mail.demo.test"
        email = ext if channel == "email" else (f"{org_key}.{n}@mail.demo.test" if rng.random() < .15 else None)
        joined = start + timedelta(days=rng.random() ** 0.7 * 360)   # more newcomers lately: a growing community
        people.append({"ref": IdentityRef(channel, ext, handle=f"@{org_key}_{n}" if channel == "telegram" else None,
                                          display_name=name, email=email),
                       "tier": tier, "joined": joined, "n": n})
    acts: list[ActivityIn] = []
    core = [p for p in people if p["tier"] == "core"]
    types, weights = zip(*MIX, strict=True)
    nps_rng = random.Random(f"{org_key}:nps:{seed}")     # its own stream: the rest of the demo stays as it was
    for p in people:
        count = {"core": rng.randint(150, 450), "active": rng.randint(12, 60), "lurker": rng.choice([0, 1, 1, 2, 3, 5])}
        span = max((now - p["joined"]).total_seconds(), 3600)
        acts.append(_act(p, "join", p["joined"], f"demo:{org_key}:{p['n']}:join"))
        for i in range(count[p["tier"]]):
            kind = rng.choices(types, weights)[0] if p["tier"] != "lurker" else rng.choice(["reaction", "reaction",
                                                                                             "message"])
            when = p["joined"] + timedelta(seconds=span * rng.random())
            target = rng.choice(core)["ref"] if kind in ("reply", "reaction", "share") and core else None
            if target is not None and target.key == p["ref"].key:
                target = None
            meta = {"nps": _nps(nps_rng, p["tier"])} if kind == "survey_answer" else None
            acts.append(_act(p, kind, when, f"demo:{org_key}:{p['n']}:{i}", target, meta))
    added = 0
    for i in range(0, len(acts), 5000):
        added += ingest(session, org_id, acts[i:i + 5000], rescore=False).accepted   # seed scores in full
    _finish(session, org_id, org_key, people, rng)
    return added


def _act(p: dict, kind: str, when: datetime, source: str, target: IdentityRef | None = None,
         meta: dict | None = None) -> ActivityIn:
    channel = p["ref"].channel
    if kind in ("event_registration", "event_attendance"):
        channel = "offline"
    return ActivityIn(p["ref"], kind, when, source, channel, target=target, meta=meta or {})


def _nps(rng: random.Random, tier: str) -> int:
    """How likely to recommend (0-10): the core mostly promoters, the rest spread wider."""
    if tier == "core":
        return rng.choices(range(11), [0, 0, 0, 0, 0, 1, 1, 3, 8, 20, 25])[0]
    return rng.choices(range(11), [1, 1, 1, 2, 2, 4, 6, 12, 18, 14, 10])[0]


def _ids(session: Session, org_id: int, refs: list[IdentityRef]) -> list[int]:
    from sqlalchemy import tuple_
    keys = [r.key for r in refs]
    return list(session.scalars(select(Identity.member_id).where(
        Identity.org_id == org_id, tuple_(Identity.channel, Identity.external_id).in_(keys))))


def _finish(session: Session, org_id: int, org_key: str, people: list[dict], rng: random.Random) -> None:
    """Staff, a bot, tags, reach, custom fields and a few duplicates to merge."""
    staff = [IdentityRef("telegram", f"{org_key}-staff-{i}", handle=f"@{org_key}_team{i}",
                         display_name=f"{name} (команда)") for i, name in enumerate(["Ника", "Рома"])]
    bot = IdentityRef("telegram", f"{org_key}-bot", handle=f"@{org_key}_bot", display_name=f"{org_key.title()}Bot")
    now = datetime.now(UTC) - timedelta(days=1)
    extra = [ActivityIn(r, "post", now - timedelta(days=d), f"demo:{org_key}:{r.external_id}:{d}", "telegram")
             for r in [*staff, bot] for d in range(0, 300, 3)]
    # Duplicates: the same person again on VK with the Latin spelling, or the same handle on Instagram.
    for p in [p for p in people if p["tier"] != "lurker"][:12]:
        first, last = p["ref"].display_name.split(" ", 1)
        latin = f"{TRANSLIT.get(first, first)} {TRANSLIT.get(last.rstrip('а'), last)}"
        if latin != p["ref"].display_name:
            dup = IdentityRef("vk", f"id{p['n'] + 900000}", display_name=latin)
        else:
            dup = IdentityRef("instagram", f"{org_key}_{p['n']}", handle=f"@{org_key}_{p['n']}",
                              display_name=p["ref"].display_name)
        extra.append(ActivityIn(dup, "reaction", p["joined"] + timedelta(days=3), f"demo:{org_key}:dup:{p['n']}",
                                dup.channel))
    ingest(session, org_id, extra, rescore=False)
    session.execute(update(Member).where(Member.id.in_(_ids(session, org_id, staff))).values(is_staff=True))
    session.execute(update(Member).where(Member.id.in_(_ids(session, org_id, [bot]))).values(is_bot=True))
    core = [p["ref"] for p in people if p["tier"] == "core"]
    core_ids = _ids(session, org_id, core)
    add_tag(session, core_ids[:10], "ambassador")
    add_tag(session, _ids(session, org_id, [p["ref"] for p in people if p["tier"] == "active"][:80]), "event-goer")
    add_tag(session, _ids(session, org_id, [p["ref"] for p in people[::37]]), "newsletter")
    for member_id in core_ids:
        session.execute(update(Member).where(Member.id == member_id, Member.followers.is_(None))
                        .values(followers=int(10 ** rng.uniform(2, 5))))
    if not session.scalar(select(AttributeDef.id).where(AttributeDef.org_id == org_id)):
        define_attribute(session, org_id, "Loyalty card", "choice", "Bronze, Silver, Gold")
        define_attribute(session, org_id, "Birthday", "date")
