"""An organisation's scoring model: activity weights, half-life, stage thresholds and windows; each save
is a new version."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenants.agency.models import Organisation
from tenants.community.models import ACTIVITY_TYPES
from tenants.core import audit
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.days import day_number
from tenants.core.errors import DomainError
from tenants.scoring.models import ScoringModel
from tenants.scoring.rules import ADVOCACY_DAYS, STAGES

DEFAULT_WEIGHTS = {
    "reaction": 0.3, "message": 1.0, "reply": 1.5, "post": 3.0, "survey_answer": 2.0, "event_registration": 2.0,
    "review": 5.0, "share": 4.0, "content_created": 5.0, "event_attendance": 6.0, "referral": 8.0,
    "purchase": 3.0, "join": 0.0, "leave": 0.0, "other": 0.5,
}


ADVOCACY_TYPES = ("referral", "share", "content_created")


class ScoringError(DomainError):
    """A scoring setting is invalid. `params["field"]` names the setting (a code the web layer labels)."""


@dataclass
class Model:
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    half_life_days: float = 60.0
    thresholds: dict[str, float] = field(default_factory=lambda: {
        "participant": 1.0, "active": 10.0, "loyal": 30.0, "advocate": 60.0})
    active_weeks: int = 2
    tenure_days: int = 60
    advocacy_types: list[str] = field(default_factory=lambda: list(ADVOCACY_TYPES))
    advocacy_nps: bool = True
    advocacy_leader: bool = True        # an active opinion leader counts as the advocacy signal
    grace_days: int = 14
    risk_days: int = 30
    version: int = 0
    epoch_day: int = 0

    def settings(self) -> dict:
        return {"weights": self.weights, "half_life_days": self.half_life_days, "thresholds": self.thresholds,
                "active_weeks": self.active_weeks, "tenure_days": self.tenure_days,
                "advocacy_types": self.advocacy_types, "advocacy_nps": self.advocacy_nps,
                "advocacy_leader": self.advocacy_leader, "grace_days": self.grace_days, "risk_days": self.risk_days}

    @classmethod
    def from_settings(cls, settings: dict, version: int = 0, epoch_day: int = 0) -> Model:
        """Validated model from stored or submitted settings (missing keys take the defaults)."""
        base = cls()
        weights = dict(base.weights)
        for kind, value in (settings.get("weights") or {}).items():
            if kind not in ACTIVITY_TYPES:
                raise ScoringError("Unknown activity type %(field)s.", field=kind)
            weights[kind] = _number(value, f"weight_{kind}", 0, 100)
        thresholds = dict(base.thresholds)
        for stage, value in (settings.get("thresholds") or {}).items():
            if stage not in thresholds:
                raise ScoringError("Unknown stage %(field)s.", field=stage)
            thresholds[stage] = _number(value, f"threshold_{stage}", 0.01, 100_000)
        order = [thresholds[s] for s in STAGES[1:]]
        if order != sorted(order) or len(set(order)) != len(order):
            raise ScoringError("Stage thresholds must rise from participant to advocate.")
        advocacy = list(settings.get("advocacy_types", base.advocacy_types))
        if any(kind not in ACTIVITY_TYPES for kind in advocacy):
            raise ScoringError("Unknown activity type %(field)s.", field="advocacy_types")
        return cls(
            weights=weights, thresholds=thresholds, advocacy_types=advocacy,
            half_life_days=_number(settings.get("half_life_days", base.half_life_days), "half_life_days", 7, 730),
            active_weeks=int(_number(settings.get("active_weeks", base.active_weeks), "active_weeks", 1, 8)),
            tenure_days=int(_number(settings.get("tenure_days", base.tenure_days), "tenure_days", 0, 3650)),
            advocacy_nps=bool(settings.get("advocacy_nps", base.advocacy_nps)),
            advocacy_leader=bool(settings.get("advocacy_leader", base.advocacy_leader)),
            grace_days=int(_number(settings.get("grace_days", base.grace_days), "grace_days", 0, 365)),
            risk_days=int(_number(settings.get("risk_days", base.risk_days), "risk_days", 7, ADVOCACY_DAYS)),
            version=version, epoch_day=epoch_day)

    def loyalty(self, score: float | None) -> float | None:
        """Loyalty index 0-100: a member at the loyal threshold scores 50."""
        if score is None:
            return None
        return 100.0 * (1.0 - 2.0 ** (-score / self.thresholds["loyal"]))


def _number(value, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ScoringError("%(field)s must be a number.", field=name) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ScoringError("%(field)s must be between %(low)s and %(high)s.", field=name, low=f"{low:g}",
                           high=f"{high:g}")
    return number


def current_model(session: Session, org_id: int) -> Model:
    """The organisation's newest saved model; version 1 (the defaults) is saved on first use."""
    row = session.scalar(select(ScoringModel).where(ScoringModel.org_id == org_id)
                         .order_by(ScoringModel.version.desc()).limit(1))
    if row is None:
        return save_model(session, org_id, Model(), None)
    return Model.from_settings(row.settings, row.version, row.epoch_day)


def save_model(session: Session, org_id: int, model: Model, user_id: int | None) -> Model:
    """Store the settings as the next version. Its epoch is today, which keeps 2^((d − epoch)/h) in range."""
    last = session.scalar(select(ScoringModel.version).where(ScoringModel.org_id == org_id)
                          .order_by(ScoringModel.version.desc()).limit(1)) or 0
    row = ScoringModel(org_id=org_id, version=last + 1, settings=model.settings(), epoch_day=day_number(utcnow()),
                       created_by_id=user_id)
    session.add(row)
    session.flush()
    return Model.from_settings(row.settings, row.version, row.epoch_day)


def save_version(session: Session, org: Organisation, model: Model, actor: Actor) -> Model:
    """A person saves the form: the next version, recorded in the audit log. Flushes."""
    saved = save_model(session, org.id, model, actor.user_id)
    audit.record(session, "scoring_model_saved", actor, target=org.name, version=saved.version)
    return saved


def versions(session: Session, org_id: int) -> list[ScoringModel]:
    return list(session.scalars(select(ScoringModel).where(ScoringModel.org_id == org_id)
                                .order_by(ScoringModel.version.desc())))
