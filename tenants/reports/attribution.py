"""Who moved up to loyal or advocate in a period, and which groups they belong to: the attendees of each event
held in it, the members the opinion leaders reached in it, and each segment the agency chose. The summary's
rules name the largest group."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from tenants.core.days import midnight
from tenants.metrics.dashboard import Period
from tenants.scoring.sql import ELIGIBLE
from tenants.segments import service as segments
from tenants.segments.models import Segment

LOYAL_SQL = "('loyal', 'advocate')"


def _bounds(p: Period) -> dict:
    return {"a": midnight(p.start), "b": midnight(p.end + timedelta(days=1))}


def risers(session: Session, org_id: int, p: Period) -> set[int]:
    """Members whose stage, recorded in the stage history, went from below loyal to loyal or advocate within the
    period and stayed there at its end."""
    return set(session.execute(text(f"""
        SELECT m.id FROM member m
        WHERE {ELIGIBLE}
          AND (SELECT c.to_stage FROM stage_change c WHERE c.member_id = m.id AND c.changed_at < :b
               ORDER BY c.changed_at DESC, c.id DESC LIMIT 1) IN {LOYAL_SQL}
          AND coalesce((SELECT c.to_stage FROM stage_change c WHERE c.member_id = m.id AND c.changed_at < :a
               ORDER BY c.changed_at DESC, c.id DESC LIMIT 1), '') NOT IN {LOYAL_SQL}"""),
        {"org": org_id, **_bounds(p)}).scalars())


def event_groups(session: Session, org_id: int, p: Period) -> list[dict]:
    """Each event held in the period with the members who came (checked in)."""
    groups: dict[int, dict] = {}
    for event_id, title, member_id in session.execute(text("""
            SELECT e.id, e.title, r.member_id FROM event e JOIN registration r ON r.event_id = e.id
            WHERE e.org_id = :org AND e.starts_at >= :a AND e.starts_at < :b AND r.checked_in_at IS NOT NULL
            ORDER BY e.starts_at, e.id"""), {"org": org_id, **_bounds(p)}):
        groups.setdefault(event_id, {"kind": "event", "name": title, "members": set()})["members"].add(member_id)
    return list(groups.values())


def leader_group(session: Session, org_id: int, p: Period) -> dict:
    """The members active opinion leaders reached in the period (either way: answered or were answered)."""
    reached = set(session.execute(text("""
        SELECT a.member_id FROM activity a JOIN leader l ON l.member_id = a.target_member_id
        WHERE a.org_id = :org AND l.status = 'active' AND a.member_id <> l.member_id
          AND a.occurred_at >= :a AND a.occurred_at < :b
        UNION
        SELECT a.target_member_id FROM activity a JOIN leader l ON l.member_id = a.member_id
        WHERE a.org_id = :org AND l.status = 'active' AND a.target_member_id IS NOT NULL
          AND a.target_member_id <> l.member_id AND a.occurred_at >= :a AND a.occurred_at < :b"""),
        {"org": org_id, **_bounds(p)}).scalars())
    return {"kind": "leaders", "name": "", "members": reached}


def segment_groups(session: Session, chosen: list[Segment], p: Period) -> list[dict]:
    return [{"kind": "segment", "name": s.name, "starter": s.starter,
             "members": set(segments.member_ids(session, segments.statement(session, s, p.end)))} for s in chosen]


def attribute(risen: set[int], groups: list[dict]) -> dict:
    """How many of the risers each group holds, the largest first (ties: in the order given); groups with none
    of them are left out. A starter segment keeps its starter code (the web layer words its name)."""
    counted = [{"kind": g["kind"], "name": g["name"], "n": len(risen & g["members"]),
                **({"starter": g["starter"]} if g.get("starter") else {})} for g in groups]
    ranked = sorted((g for g in counted if g["n"]), key=lambda g: -g["n"])
    return {"risers": len(risen), "groups": ranked}


def of_period(session: Session, org_id: int, p: Period, chosen: list[Segment]) -> dict:
    groups = [*event_groups(session, org_id, p), leader_group(session, org_id, p), *segment_groups(session, chosen, p)]
    return attribute(risers(session, org_id, p), groups)
