"""Generating a report (a frozen snapshot of the organisation's figures and sections for a period), its
versions, the agency's notes, the workflow draft → approved → published, and the segments reports show."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tenants import kpis
from tenants.agency import branding
from tenants.agency.models import Organisation
from tenants.core.audit import Actor, record
from tenants.core.base import utcnow
from tenants.core.context import require_agency_id
from tenants.core.errors import DomainError
from tenants.core.i18n import LANGUAGES
from tenants.metrics.dashboard import FIRST_DAY, Period
from tenants.metrics.rollups import month_end, month_start, parse_month
from tenants.reports import attribution, sections, summary
from tenants.reports.models import (
    APPROVED,
    DRAFT,
    NOTE_FIELDS,
    NOTE_MAX,
    PUBLISHED,
    Report,
    ReportSegment,
)
from tenants.segments import service as segments

MAX_DAYS = 366


class ReportError(DomainError):
    """A refusal the reader can act on (a bad period, a step the report's status does not allow)."""


def month_period(value: str, today: date | None = None) -> Period:
    """'2026-10' → that calendar month (UTC: organisations keep no time zone of their own); not a future one."""
    month = parse_month(value)
    today = today or utcnow().date()
    if month is None:
        raise ReportError("Choose a month as YYYY-MM.")
    p = Period(month_start(month), month_end(month))
    if p.start > today or p.start < FIRST_DAY:
        raise ReportError("Choose a month that has begun.")
    return p


def last_month(today: date | None = None) -> Period:
    first = (today or utcnow().date()).replace(day=1)
    previous = first - timedelta(days=1)
    return Period(previous.replace(day=1), previous)


def custom_period(start: str | None, end: str | None, today: date | None = None) -> Period:
    """A custom period from two ISO dates: start ≤ end, begun, at most MAX_DAYS long."""
    today = today or utcnow().date()
    try:
        a, b = date.fromisoformat(start or ""), date.fromisoformat(end or "")
    except ValueError:
        raise ReportError("Enter the period's first and last days as dates.") from None
    if a > b or a < FIRST_DAY or a > today:
        raise ReportError("The period must begin on or before its last day, and not in the future.")
    if (b - a).days >= MAX_DAYS:
        raise ReportError("A report covers at most %(days)s days.", days=MAX_DAYS)
    return Period(a, b)


def previous_of(p: Period, monthly: bool) -> Period:
    """The period a report compares with: the month before for a calendar month, else as many days before."""
    if monthly:
        end = p.start - timedelta(days=1)
        return Period(end.replace(day=1), end)
    return p.previous()


def language_of(session: Session, org: Organisation) -> str:
    """The language the organisation's reports are written in (its white label, else the agency's)."""
    lang = branding.for_org(session, org).language
    return lang if lang in LANGUAGES else "en"


def snapshot(session: Session, org_id: int, p: Period, monthly: bool, today: date | None = None) -> tuple[dict, dict]:
    """The figures (KPI code → value, through the KPI registry) and every section, read now."""
    before = previous_of(p, monthly)
    now = kpis.compute(session, org_id, p, sections.ORG_CODES, today=today)
    prev = kpis.compute(session, org_id, before, sections.ORG_CODES, today=today)
    chosen = sections.chosen_segments(session, org_id)
    moved = attribution.of_period(session, org_id, p, chosen)
    body = {
        "previous_period": {"start": before.start.isoformat(), "end": before.end.isoformat()},
        "previous": prev, "goals": sections.goals(session, org_id, p),
        "activity": sections.activity(session, org_id, p), "stages": sections.stages(session, org_id, p),
        "cohorts": sections.cohorts(session, org_id, p), "at_risk": sections.at_risk(session, org_id, now),
        "leaders": sections.leaders(session, org_id, p), "events": sections.events(session, org_id, p, now),
        "segments": sections.segment_figures(session, org_id, p, before, chosen),
        "attribution": moved, "summary": summary.sentences(now, prev, moved),
    }
    return now, body


def generate(session: Session, org: Organisation, p: Period, monthly: bool, actor: Actor,
             today: date | None = None) -> Report:
    """A new draft version of the organisation's report for the period (version n + 1 of that period)."""
    version = (session.scalar(select(func.max(Report.version)).where(
        Report.org_id == org.id, Report.period_start == p.start, Report.period_end == p.end)) or 0) + 1
    figures, body = snapshot(session, org.id, p, monthly, today)
    report = Report(agency_id=require_agency_id(), org_id=org.id, period_start=p.start, period_end=p.end,
                    monthly=monthly, version=version, status=DRAFT, language=language_of(session, org),
                    figures=figures,
                    sections=body, notes=dict.fromkeys(NOTE_FIELDS, ""), generated_by_id=actor.user_id)
    session.add(report)
    session.flush()
    record(session, "report_generated", actor, target=report.public_id, org=org.slug,
           period=f"{p.start.isoformat()}..{p.end.isoformat()}", version=version)
    return report


def listing(session: Session, org_id: int, published_only: bool) -> list[tuple[tuple[date, date], list[Report]]]:
    """Reports by period, newest period first, each period's versions newest first."""
    stmt = select(Report).where(Report.org_id == org_id)
    if published_only:
        stmt = stmt.where(Report.status == PUBLISHED)
    groups: dict[tuple[date, date], list[Report]] = {}
    for r in session.scalars(stmt.order_by(Report.period_end.desc(), Report.period_start.desc(),
                                           Report.version.desc())):
        groups.setdefault((r.period_start, r.period_end), []).append(r)
    return list(groups.items())


def by_public_id(session: Session, org_id: int, public_id: str, published_only: bool) -> Report | None:
    stmt = select(Report).where(Report.org_id == org_id, Report.public_id == public_id)
    if published_only:
        stmt = stmt.where(Report.status == PUBLISHED)
    return session.scalar(stmt)


def latest_published(session: Session, org_id: int) -> Report | None:
    return session.scalar(select(Report).where(Report.org_id == org_id, Report.status == PUBLISHED)
                          .order_by(Report.period_end.desc(), Report.version.desc()).limit(1))


def save_notes(session: Session, report: Report, data: dict, actor: Actor) -> None:
    """The agency's notes ("work done", "next steps"), while the report is a draft."""
    if report.status != DRAFT:
        raise ReportError("Notes can be changed only while the report is a draft.")
    notes = {}
    for name in NOTE_FIELDS:
        value = str(data.get(name) or "").replace("\x00", "").strip()
        if len(value) > NOTE_MAX:
            raise ReportError("A note is at most %(num)s characters.", num=NOTE_MAX)
        notes[name] = value
    report.notes = notes
    record(session, "report_notes_saved", actor, target=report.public_id)


def approve(session: Session, report: Report, actor: Actor) -> None:
    if report.status != DRAFT:
        raise ReportError("Only a draft can be approved.")
    report.status, report.approved_at, report.approved_by_id = APPROVED, utcnow(), actor.user_id
    record(session, "report_approved", actor, target=report.public_id)


def publish(session: Session, report: Report, actor: Actor) -> None:
    if report.status != APPROVED:
        raise ReportError("Only an approved report can be published.")
    report.status, report.published_at, report.published_by_id = PUBLISHED, utcnow(), actor.user_id
    record(session, "report_published", actor, target=report.public_id)


def set_segments(session: Session, org_id: int, public_ids: list[str], actor: Actor) -> list[str]:
    """The segments the organisation's reports show (unknown ids are refused)."""
    known = {s.public_id: s for s in segments.of_org(session, org_id)}
    unknown = [p for p in public_ids if p not in known]
    if unknown:
        raise ReportError("Choose segments of this organisation.")
    session.execute(delete(ReportSegment).where(ReportSegment.org_id == org_id))
    for pid in dict.fromkeys(public_ids):
        session.add(ReportSegment(org_id=org_id, segment_id=known[pid].id))
    session.flush()
    record(session, "report_segments_saved", actor, segments=",".join(public_ids))
    return public_ids


def chosen_public_ids(session: Session, org_id: int) -> set[str]:
    return {s.public_id for s in sections.chosen_segments(session, org_id)}
