"""Demo events: a monthly meet-up over the demo's year and the next one ahead, with registrations, check-ins,
no-shows, walk-ins, cancellations and survey answers drawn from the members' own standing in the timeline (the
core registers and comes most, lurkers seldom; only members who have joined and not gone quiet take part).

Registrations and check-ins add their `event_registration` / `event_attendance` activities (source ids as
registrations.py writes them) and survey answers their `survey_answer`, so scores, the report and the
dashboard's events panel agree. Idempotent: the events of the day are kept as they are; loaded on another day
(the year moved) the demo events and their activities go and are drawn again for the new year."""
from __future__ import annotations

import hashlib
import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.orm import Session

from tenants.community.ingest import store_known
from tenants.community.models import Activity, Identity
from tenants.community.validate import activity
from tenants.core.context import require_agency_id
from tenants.events.events import series_id
from tenants.events.models import Event, Registration, RegistrationLog
from tenants.events.registrations import channel_of, source_id

SERIES = "Monthly meet-up"
PAST, EVERY, FIRST_AGO = 12, 30, 12      # twelve meet-ups, every 30 days, the latest 12 days ago; one 18 days ahead
HOUR, LENGTH = 16, 3                     # 19:00 Moscow time, three hours
REGISTER = {"core": 0.55, "active": 0.12, "lurker": 0.006}
COME = {"core": 0.85, "active": 0.62, "lurker": 0.4}
WALK_IN = {"core": 0.0, "active": 0.012, "lurker": 0.001}
ANSWER = {"core": 0.45, "active": 0.25, "lurker": 0.2}
CANCEL = 0.06


def seed_events(session: Session, org_id: int, org_key: str, people: list[dict], start: datetime, cut: datetime,
                nps) -> int:
    """The demo's meet-ups for the year beginning `start`, as loaded at `cut`; answers the events written (0 when
    they are there already). `nps(rng, tier)` draws a survey score as the timeline does."""
    days_ago = [FIRST_AGO + EVERY * k for k in range(PAST)] + [-18]
    today = start + timedelta(days=364)
    plan = [(f"demo:{org_key}:meetup:{i}", today - timedelta(days=ago) + timedelta(hours=HOUR))
            for i, ago in enumerate(sorted(days_ago, reverse=True))]
    existing = {e.source_id: e for e in session.scalars(select(Event).where(
        Event.org_id == org_id, Event.source_id.like(f"demo:{org_key}:meetup:%")))}
    if existing and all(sid in existing and existing[sid].starts_at == at for sid, at in plan) \
            and len(existing) == len(plan):
        return 0
    _clear(session, org_id, list(existing.values()))
    series = series_id(session, org_id, SERIES)
    member_of = _members(session, org_id, people)
    for i, (sid, at) in enumerate(plan):
        # A public id drawn from the plan, not at random: the demo loaded fresh on a day is the same demo.
        public = hashlib.sha256(f"{sid}:{at.isoformat()}".encode()).hexdigest()[:16]
        event = Event(org_id=org_id, source_id=sid, public_id=public, title=f"{SERIES} #{i + 1}", format="offline",
                      starts_at=at,
                      ends_at=at + timedelta(hours=LENGTH), timezone="Europe/Moscow", location="Москва, Лофт «Зерно»",
                      series_id=series, form_token=secrets.token_urlsafe(24), tags=["meetup"], description="",
                      url="", form_fields=[], survey_sent_at=at + timedelta(days=1) if at < cut else None)
        session.add(event)
        session.flush()
        _attendance(session, event, people, member_of, start, cut, nps, random.Random(f"{org_key}:events:{i}"))
    return len(plan)


def _clear(session: Session, org_id: int, old: list[Event]) -> None:
    if not old:
        return
    for e in old:
        session.execute(delete(Activity).where(Activity.org_id == org_id,
                                               Activity.source_id.like(f"event:{e.public_id}:%")))
    session.execute(delete(Event).where(Event.id.in_([e.id for e in old])))


def _members(session: Session, org_id: int, people: list[dict]) -> dict[int, int]:
    """Each person's member id by their index in the timeline."""
    keys = {p["ref"].key: p["n"] for p in people}
    rows = session.execute(select(Identity.channel, Identity.external_id, Identity.member_id).where(
        Identity.org_id == org_id, tuple_(Identity.channel, Identity.external_id).in_(list(keys))))
    return {keys[(c, x)]: m for c, x, m in rows if (c, x) in keys}


def _attendance(session: Session, event: Event, people: list[dict], member_of: dict[int, int], start: datetime,
                cut: datetime, nps, rng: random.Random) -> None:
    day = (event.starts_at - start).total_seconds() / 86400
    held = event.ends_at <= cut
    now_day = (cut - start).total_seconds() / 86400
    rows, acts = [], []
    for p in people:
        member = member_of.get(p["n"])
        if member is None or not p["joined"] < day - 1 or p["until"] < min(day, now_day):    # still around
            continue
        tier = p["tier"]
        registered = rng.random() < REGISTER[tier]
        walk_in = not registered and held and rng.random() < WALK_IN[tier]
        if not registered and not walk_in:
            continue
        ahead = 14.0 if held else 30.0          # an upcoming event fills over the month before it
        signed_up = event.starts_at - timedelta(days=rng.uniform(0.5, min(ahead, day - p["joined"])))
        if signed_up > cut:
            continue
        cancelled = registered and rng.random() < CANCEL
        came = held and not cancelled and (walk_in or rng.random() < COME[tier])
        at = event.starts_at + timedelta(minutes=rng.uniform(-10, 40))
        row = {"agency_id": require_agency_id(), "org_id": event.org_id, "event_id": event.id, "member_id": member,
               "walk_in": walk_in,
               "status": "cancelled" if cancelled else "registered", "source": "walk_in" if walk_in else "form",
               "registered_at": at if walk_in else signed_up, "cancelled_at": signed_up + timedelta(days=1)
               if cancelled else None, "checked_in_at": at if came else None, "ticket": secrets.token_urlsafe(18),
               "answers": {}, "survey_sent_at": None, "survey_score": None, "survey_answered_at": None}
        if not walk_in:
            acts.append(_act(event, member, p, "event_registration", signed_up, "registration"))
        if came:
            acts.append(_act(event, member, p, "event_attendance", at, "attendance"))
            row["survey_sent_at"] = event.survey_sent_at
            if rng.random() < ANSWER[tier]:
                answered = event.starts_at + timedelta(days=1, hours=rng.uniform(1, 60))
                if answered <= cut:
                    row["survey_score"], row["survey_answered_at"] = nps(rng, tier), answered
                    acts.append(_act(event, member, p, "survey_answer", answered, "survey",
                                     {"nps": row["survey_score"], "event": event.public_id}))
        rows.append(row)
    if rows:
        ids = session.scalars(insert(Registration).returning(Registration.id), rows).all()
        session.execute(insert(RegistrationLog), [log for reg_id, row in zip(ids, rows, strict=True)
                                                  for log in _log(reg_id, row)])
    store_known(session, event.org_id, acts, rescore=False)


def _log(reg_id: int, row: dict) -> list[dict]:
    """The registration log of a demo registration: signed up (or walked in), cancelled, checked in."""
    base = {"agency_id": row["agency_id"], "org_id": row["org_id"], "event_id": row["event_id"],
            "registration_id": reg_id, "user_id": None, "note": ""}
    found = [{**base, "action": "walk_in" if row["walk_in"] else "registered", "at": row["registered_at"]}]
    if row["cancelled_at"]:
        found.append({**base, "action": "cancelled", "at": row["cancelled_at"]})
    if row["checked_in_at"] and not row["walk_in"]:
        found.append({**base, "action": "checked_in", "at": row["checked_in_at"]})
    return found


def _act(event: Event, member: int, p: dict, kind: str, at: datetime, what: str, meta: dict | None = None):
    channel = "email" if what == "survey" else channel_of(event)        # a survey is answered from its mail
    return member, activity(p["ref"], kind, at, source_id(event, what, member), channel,
                            meta=meta or {"event": event.public_id})
