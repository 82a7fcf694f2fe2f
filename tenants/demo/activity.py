"""Believable demo communities: a year of activity up to the hour the demo is loaded, with 90-9-1 participation.

1% of members create most of the activity, 9% take part now and then, 90% mostly read (a join, a few
reactions). New members keep arriving up to the present hour, a little faster each month. Some loyal members
have gone quiet for one to two months (the at-risk list), and some of the 9% drift away. Replies, reactions,
shares and mentions go to members in proportion to a heavy-tailed "pull" that grows with how much they post, so
a few members reach many others and most reach few. A monthly NPS survey is answered by part of the community.

The timeline is generated relative to the demo's day: every moment is an offset from the first day of its year,
drawn from a random seeded with the organisation and `seed` only, so the year is the same whatever the day, and
ends on it. What has happened by the start of the current hour is loaded. Loading again the same day adds the
hours since (nothing within the same hour); loading on a later day first moves the generated activity and stage
history by whole days (see _move), so the result is the demo generated fresh that day. Source ids never change,
so nothing is stored twice."""
from __future__ import annotations

import random
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from sqlalchemy import bindparam, delete, select, tuple_, update
from sqlalchemy.orm import Session

from tenants.community.ingest import ingest
from tenants.community.models import Activity, AttributeDef, Identity, Member
from tenants.community.profile import add_tag, define_attribute
from tenants.community.validate import ActivityIn, IdentityRef, activity, identity
from tenants.core.base import utcnow
from tenants.core.days import midnight
from tenants.demo.events import seed_events
from tenants.metrics.models import OrgDay
from tenants.scoring.models import StageChange

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
# (type, share) for ordinary participation; events and advocacy are rarer. Most survey answers come from the
# monthly NPS survey (SURVEY_*), a few from one-off polls.
MIX = [("message", 46), ("reaction", 26), ("reply", 12), ("post", 4), ("share", 2), ("event_registration", 2),
       ("event_attendance", 1.5), ("survey_answer", .3), ("review", 1), ("referral", .5), ("content_created", 1),
       ("purchase", 2)]
AIMED = ("reply", "reaction", "share")   # always at someone's post; a message mentions someone now and then
MENTIONS = 0.15
DAYS = 365                  # the demo's year: today and the 364 days before it
CORE_RATE, ACTIVE_RATE = (0.7, 1.6), (0.03, 0.5)     # activities a day while a member takes part
QUIET_EVERY = 4             # one core member in four has gone quiet...
QUIET_DAYS = (31, 60)       # ...this many days ago: still loyal on the decayed score, so at risk
DRIFT = 0.25                # the share of the 9% who stop taking part some months after joining
SURVEY_FIRST, SURVEY_EVERY = 95, 30          # the NPS survey goes out on these days of the year
SURVEY_ANSWERS = {"core": 0.5, "active": 0.3, "lurker": 0.03}
# Activity by hour of the day (UTC): a community mostly in Russian time zones.
HOURS = [1, 1, 1, 2, 3, 5, 6, 7, 7, 7, 7, 7, 7, 7, 8, 8, 8, 7, 6, 4, 3, 2, 1, 1]


def _name(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    if first in FEMALE and last[-2:] in ("ов", "ёв", "ин", "ев"):
        last += "а"
    return f"{first} {last}"


def epoch_source(org_key: str) -> str:
    """The source id of the activity that marks the first moment of the demo's year (the bot joining)."""
    return f"demo:{org_key}:epoch"


def seed_org(session: Session, org_id: int, org_key: str, members: int = 3000, seed: int = 1,
             now: datetime | None = None) -> int:
    """Fill one organisation with its year ending `now` (default: the present); returns activities added (0 when
    loaded again within the same hour)."""
    now = now or utcnow()
    cut = now.replace(minute=0, second=0, microsecond=0)
    start = midnight(now.date()) - timedelta(days=DAYS - 1)
    _move(session, org_id, org_key, start, now)
    people, acts = _timeline(org_key, members, seed, start)
    acts = [a for a in acts if a.occurred_at <= cut]
    added = 0
    for i in range(0, len(acts), 5000):
        added += ingest(session, org_id, acts[i:i + 5000], rescore=False).accepted   # seed scores in full
    _finish(session, org_id, org_key, people, start, cut, random.Random(f"{org_key}:finish:{seed}"))
    seed_events(session, org_id, org_key, people, start, cut, _nps)
    return added


def _timeline(org_key: str, members: int, seed: int, start: datetime) -> tuple[list[dict], list[ActivityIn]]:
    """Everyone's activity over the year beginning `start`; depends on `start` only by adding it."""
    rng = random.Random(f"{org_key}:{seed}")
    nps_rng = random.Random(f"{org_key}:nps:{seed}")     # its own stream: the activity stays as it is
    people = []
    for n in range(members):
        share = n / members
        tier = "core" if share < 0.01 else "active" if share < 0.10 else "lurker"
        name = _name(rng)
        channel = rng.choices(["telegram", "vk", "email", "offline"], [70, 18, 8, 4])[0]
        ext = f"{org_key}-{n}" if channel != "email" else f"{org_key}.{n}@mail.demo.test"
        email = ext if channel == "email" else (f"{org_key}.{n}@mail.demo.test" if rng.random() < .15 else None)
        # Days into the year (floats). The core is there from the first months; everyone else arrives a little
        # faster each month, up to the end of today (who joins after the present hour is not loaded yet).
        if tier == "core":
            joined, rate = rng.uniform(0, 150), rng.uniform(*CORE_RATE)
        else:
            joined = (rng.random() ** (0.8 if tier == "active" else 0.7)) * DAYS
            rate = rng.uniform(*ACTIVE_RATE) if tier == "active" else 0.0
        until = float(DAYS)
        if tier == "core" and n % QUIET_EVERY == 0:
            until = DAYS - 1 - rng.uniform(*QUIET_DAYS)
            rate = max(rate, 0.9)                 # busy until then: a loyal member the team would miss
        elif tier == "active" and rng.random() < DRIFT:
            until = min(until, joined + 14 + rng.expovariate(1 / 120))
        people.append({"ref": identity(channel, ext, handle=f"@{org_key}_{n}" if channel == "telegram" else None,
                                       display_name=name, email=email),
                       "tier": tier, "joined": joined, "until": until, "rate": rate, "n": n,
                       "pull": rate * min(rng.paretovariate(1.5), 25)})
    # Whom replies, reactions, shares and mentions go to: members who take part, by pull (heavy-tailed, and
    # larger the more they post), among those who had joined by then and not yet gone quiet.
    stars = sorted((p for p in people if p["pull"]), key=lambda p: p["joined"])
    star_joined = [p["joined"] for p in stars]
    star_pull = list(accumulate(p["pull"] for p in stars))

    def target(p: dict, t: float) -> IdentityRef | None:
        k = bisect_right(star_joined, t)
        if not k:
            return None
        star = stars[min(bisect_right(star_pull, rng.random() * star_pull[k - 1]), k - 1)]
        return star["ref"] if star is not p and star["until"] > t else None

    def moment(t: float) -> datetime:      # a day of the year, at a believable hour
        return start + timedelta(days=int(t), hours=rng.choices(range(24), HOURS)[0], minutes=rng.randrange(60),
                                 seconds=rng.randrange(60))

    types, weights = zip(*MIX, strict=True)
    acts: list[ActivityIn] = []
    for p in people:
        joined_at = start + timedelta(seconds=round(p["joined"] * 86400))
        acts.append(_act(p, "join", joined_at, f"demo:{org_key}:{p['n']}:join"))
        span = p["until"] - p["joined"]
        lurker = p["tier"] == "lurker"
        count = rng.choice([0, 1, 1, 2, 3, 5]) if lurker else int(p["rate"] * span + rng.random())
        for i in range(count):
            if lurker:        # mostly soon after joining
                t, kind = p["joined"] + span * rng.random() ** 2, rng.choice(["reaction", "reaction", "message"])
            else:
                t, kind = p["joined"] + span * rng.random(), rng.choices(types, weights)[0]
            when = max(moment(t), joined_at + timedelta(minutes=1))
            aimed = kind in AIMED or (kind == "message" and rng.random() < MENTIONS)
            meta = {"nps": _nps(nps_rng, p["tier"])} if kind == "survey_answer" else None
            acts.append(_act(p, kind, when, f"demo:{org_key}:{p['n']}:{i}", target(p, t) if aimed else None, meta))
    for k, day in enumerate(range(SURVEY_FIRST, DAYS, SURVEY_EVERY)):
        for p in people:
            if p["joined"] < day < p["until"] and rng.random() < SURVEY_ANSWERS[p["tier"]]:
                t = day + min(rng.expovariate(1 / 1.5), 10)
                if t < p["until"]:         # who has gone quiet answers no more
                    acts.append(_act(p, "survey_answer", moment(t), f"demo:{org_key}:{p['n']}:nps{k}",
                                     meta={"nps": _nps(nps_rng, p["tier"])}))
    return people, acts


def _act(p: dict, kind: str, when: datetime, source: str, target: IdentityRef | None = None,
         meta: dict | None = None) -> ActivityIn:
    channel = p["ref"].channel
    if kind in ("event_registration", "event_attendance"):
        channel = "offline"
    return activity(p["ref"], kind, when, source, channel, target=target, meta=meta)


def _nps(rng: random.Random, tier: str) -> int:
    """How likely to recommend (0-10): the core mostly promoters, the rest spread wider."""
    if tier == "core":
        return rng.choices(range(11), [0, 0, 0, 0, 0, 1, 1, 3, 8, 20, 25])[0]
    return rng.choices(range(11), [1, 1, 1, 2, 2, 4, 6, 12, 18, 14, 10])[0]


def _ids(session: Session, org_id: int, refs: list[IdentityRef]) -> list[int]:
    keys = [r.key for r in refs]
    return list(session.scalars(select(Identity.member_id).where(
        Identity.org_id == org_id, tuple_(Identity.channel, Identity.external_id).in_(keys))))


def _finish(session: Session, org_id: int, org_key: str, people: list[dict], start: datetime, cut: datetime,
            rng: random.Random) -> None:
    """Staff, a bot (whose joining marks the year's first moment), tags, reach, custom fields and a few
    duplicates to merge."""
    staff = [identity("telegram", f"{org_key}-staff-{i}", handle=f"@{org_key}_team{i}",
                      display_name=f"{name} (команда)") for i, name in enumerate(["Ника", "Рома"])]
    bot = identity("telegram", f"{org_key}-bot", handle=f"@{org_key}_bot", display_name=f"{org_key.title()}Bot")
    extra = [activity(bot, "join", start, epoch_source(org_key), "telegram")]
    # The team posts every third day at noon Moscow time, up to today.
    extra += [activity(r, "post", start + timedelta(days=DAYS - 1 - d, hours=9),
                       f"demo:{org_key}:{r.external_id}:{d}", "telegram")
              for r in [*staff, bot] for d in range(0, 300, 3)]
    # Duplicates: the same person again on VK with the Latin spelling, or the same handle on Instagram.
    for p in [p for p in people if p["tier"] != "lurker" and p["joined"] < DAYS - 10][:12]:
        first, last = p["ref"].display_name.split(" ", 1)
        latin = f"{TRANSLIT.get(first, first)} {TRANSLIT.get(last.rstrip('а'), last)}"
        if latin != p["ref"].display_name:
            dup = identity("vk", f"id{p['n'] + 900000}", display_name=latin)
        else:
            dup = identity("instagram", f"{org_key}_{p['n']}", handle=f"@{org_key}_{p['n']}",
                           display_name=p["ref"].display_name)
        extra.append(activity(dup, "reaction", start + timedelta(days=p["joined"] + 3),
                              f"demo:{org_key}:dup:{p['n']}", dup.channel))
    ingest(session, org_id, [a for a in extra if a.occurred_at <= cut], rescore=False)   # seed scores in full
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


def _move(session: Session, org_id: int, org_key: str, start: datetime, now: datetime) -> None:
    """Make an earlier day's demo this day's: its generated activity, stage history and stage dates move by the
    whole days between the two years' first moments (activity that would then lie after the current hour goes;
    a stage date after `now` becomes `now`), and the daily metrics go (the metrics pass after seeding writes
    them again). Scores, rollups and counters follow from the moved activity in the full recompute after
    seeding; stages keep their history (a member below their stage's bar keeps it through the demotion grace,
    as on any other day). A community loaded before its year carried a first moment cannot be moved: its
    members (with everything of theirs) and daily metrics go, to be generated again."""
    generated = (Activity.org_id == org_id, Activity.source_id.like(f"demo:{org_key}:%"))
    then = session.scalar(select(Activity.occurred_at).where(Activity.org_id == org_id,
                                                             Activity.source_id == epoch_source(org_key)))
    if then is None:
        if session.scalar(select(Activity.id).where(*generated).limit(1)) is not None:
            session.execute(delete(Member).where(Member.org_id == org_id))
            session.execute(delete(OrgDay).where(OrgDay.org_id == org_id))
        return
    shift = start - _aware(then)
    if not shift:
        return
    for table, columns, where in ((Activity, ("occurred_at",), generated),
                                  (Member, ("stage_since", "stage_below_since"), (Member.org_id == org_id,)),
                                  (StageChange, ("changed_at",), (StageChange.org_id == org_id,))):
        cols = [getattr(table, c) for c in columns]
        rows = session.execute(select(table.id, *cols).where(*where)).all()
        if not rows:
            continue
        t = table.__table__
        stmt = update(t).where(t.c.id == bindparam("row_id")).values({c: bindparam(f"new_{c}") for c in columns})
        latest = None if table is Activity else now
        session.execute(stmt, [{"row_id": row[0], **{f"new_{c}": _moved(v, shift, latest)
                                                     for c, v in zip(columns, row[1:], strict=True)}}
                               for row in rows])
    cut = now.replace(minute=0, second=0, microsecond=0)
    session.execute(delete(Activity).where(*generated, Activity.occurred_at > cut))
    session.execute(delete(OrgDay).where(OrgDay.org_id == org_id))


def _moved(moment: datetime | None, shift: timedelta, latest: datetime | None) -> datetime | None:
    if moment is None:
        return None
    moved = _aware(moment) + shift
    return min(moved, latest) if latest else moved


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
