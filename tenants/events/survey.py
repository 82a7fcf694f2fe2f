"""After an event: the survey mail to every attendee (one question, NPS 0–10, and a comment) and a
`content_created` activity for each host and speaker, once per event (`event.survey_sent_at` marks it done).
An answer is kept on the registration and counted as a `survey_answer` activity with meta {"nps": score,
"event": public id}, so the organisation's NPS and the segment field "NPS group" include it. Services flush;
the caller commits (the job commits each event on its own)."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenants.agency.models import Organisation
from tenants.community import ingest, validate
from tenants.community.models import Member
from tenants.community.values import ItemError
from tenants.community.values import text as checked_text
from tenants.core.base import utcnow
from tenants.core.sql import storable
from tenants.events import notify
from tenants.events.models import Event, EventRole, Registration
from tenants.events.registrations import channel_of, source_id

AFTER = timedelta(hours=2)        # the survey goes this long after the event ends
WITHIN = timedelta(days=7)        # an event that ended longer ago (imported history) gets no survey mails
COMMENT_MAX = 2000


def _due(now: datetime):
    return (Event.survey_sent_at.is_(None), Event.ends_at <= now - AFTER)


def due_orgs(session: Session, now: datetime | None = None) -> list[tuple[int, int]]:
    """(agency id, organisation id) of active organisations with an event to follow up (a system read)."""
    return list(session.execute(select(Event.agency_id, Event.org_id).distinct()
                                .join(Organisation, Organisation.id == Event.org_id)
                                .where(Organisation.archived_at.is_(None), *_due(now or utcnow()))
                                .order_by(Event.agency_id, Event.org_id)))


def due_events(session: Session, org_id: int, now: datetime | None = None) -> list[int]:
    return list(session.scalars(select(Event.id).where(Event.org_id == org_id, *_due(now or utcnow()))
                                .order_by(Event.ends_at, Event.id)))


def follow_up(session: Session, event_id: int, now: datetime | None = None) -> dict | None:
    """Survey mails and host/speaker activities for one ended event; None when it was done already (the event row
    is locked, so two runs never both do it). An event that ended more than WITHIN ago gets its activities and
    no mails."""
    now = now or utcnow()
    event = session.scalar(select(Event).where(Event.id == event_id).with_for_update())
    if event is None or event.survey_sent_at is not None or event.ends_at > now - AFTER:
        return None
    mailed = 0
    if event.ends_at >= now - WITHIN:
        attendees = session.execute(
            select(Registration, Member).join(Member, Member.id == Registration.member_id)
            .where(Registration.event_id == event.id, Registration.checked_in_at.is_not(None),
                   Registration.survey_sent_at.is_(None), Member.erased_at.is_(None),
                   Member.merged_into_id.is_(None), Member.email.is_not(None))
            .order_by(Registration.id))
        for reg, member in attendees:
            reg.survey_token, reg.survey_sent_at = secrets.token_urlsafe(24), now
            session.flush()
            notify.survey(session, event, reg, member)
            mailed += 1
    content = _content(session, event)
    event.survey_sent_at = now
    session.flush()
    return {"mailed": mailed, "content": content}


def _content(session: Session, event: Event) -> int:
    """A `content_created` activity per host and speaker, at the event's end (stable source ids: once each)."""
    rows = session.execute(select(EventRole.member_id, EventRole.role).join(Member, Member.id == EventRole.member_id)
                           .where(EventRole.event_id == event.id, Member.erased_at.is_(None),
                                  Member.merged_into_id.is_(None)).order_by(EventRole.id))
    items = []
    for member_id, role in rows:
        ref = validate.identity("member", str(member_id))
        items.append((member_id, validate.activity(ref, "content_created", min(event.ends_at, utcnow()),
                                                   source_id(event, role, member_id), channel=channel_of(event),
                                                   meta={"event": event.public_id, "role": role})))
    return ingest.store_known(session, event.org_id, items)


def is_open(reg: Registration, now: datetime | None = None) -> bool:
    """Whether the survey still takes an answer (for SURVEY_OPEN_FOR after it was sent)."""
    return reg.survey_sent_at is not None and (now or utcnow()) < reg.survey_sent_at + notify.SURVEY_OPEN_FOR


def score_of(value) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ItemError("Choose a score from 0 to 10.")
    return value


def answer(session: Session, event: Event, reg: Registration, score, comment: str | None) -> bool:
    """Keep the answer and count it as a `survey_answer` activity; False when the registration had answered
    already (the row is locked: one answer, however many tabs submit)."""
    score = score_of(score)
    comment = checked_text(comment, "comment", COMMENT_MAX, required=False) or None
    if comment is not None and not storable(comment):
        raise ItemError("comment is not valid")
    reg = session.scalar(select(Registration).where(Registration.id == reg.id).with_for_update()
                         .execution_options(populate_existing=True))
    if reg.survey_score is not None:
        return False
    now = utcnow()
    reg.survey_score, reg.survey_comment, reg.survey_answered_at = score, comment, now
    session.flush()
    ref = validate.identity("member", str(reg.member_id))
    ingest.store_known(session, event.org_id, [(reg.member_id, validate.activity(
        ref, "survey_answer", now, source_id(event, "survey", reg.member_id), channel="email",
        meta={"nps": score, "event": event.public_id}))])
    return True
