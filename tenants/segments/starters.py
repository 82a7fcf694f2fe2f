"""The segments every organisation starts with (editable like any other): the groups a community manager
works with first."""
from __future__ import annotations

from sqlalchemy.orm import Session

from tenants.core.audit import Actor
from tenants.segments import service

# code → (name, description, colour, rules). Names and descriptions are stored as text the agency edits; the
# web layer translates a starter whose text is still the original (see web/segments).
STARTERS: dict[str, tuple[str, str, str, dict]] = {
    "new_active": (
        "New and active", "Joined in the last 30 days and already active: welcome them and show them around.",
        "#059669",
        {"all": [{"field": "first_seen", "op": "within_days", "value": 30},
                 {"field": "activity", "op": "gte", "value": {"count": 1, "within_days": 14}}]}),
    "slipping_away": (
        "Slipping away", "Were active, quiet for 30 days: reach out before they leave.", "#ea580c",
        {"all": [{"field": "activity", "op": "gte", "value": {"count": 3, "within_days": 120}},
                 {"field": "last_active", "op": "not_within_days", "value": 30}]}),
    "silent_loyal": (
        "Silent loyal", "Loyal, write little, read and react: give them easy ways to take part.", "#0891b2",
        {"all": [{"field": "stage", "op": "in", "value": ["loyal", "advocate"]},
                 {"field": "activity", "op": "lt", "value": {"type": "message", "count": 3, "within_days": 90}},
                 {"field": "activity", "op": "gte", "value": {"type": "reaction", "count": 5, "within_days": 90}}]}),
    "advocates": (
        "Advocates", "Recommend the brand: turn them into evangelists.", "#7c3aed",
        {"all": [{"field": "stage", "op": "eq", "value": "advocate"}]}),
    "at_risk": (
        "At risk", "Loyal members going quiet: contact them personally.", "#dc2626",
        {"all": [{"field": "at_risk", "op": "eq", "value": True}]}),
}


def add(session: Session, org_id: int, actor: Actor | None = None) -> None:
    """Create the starter segments of a new organisation."""
    actor = actor or Actor(email="system")
    for code, (name, description, colour, tree) in STARTERS.items():
        service.create(session, org_id, {"kind": "dynamic", "name": name, "description": description,
                                         "colour": colour, "rules": tree}, actor, starter=code)
