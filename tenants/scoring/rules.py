"""The stage ladder and its rules, defined once (DESIGN.md, "Stages"), in the two forms the code needs: SQL
for the set-based passes (scoring, preview, the metrics' month-end reconstruction) and Python for the member
page's "why this stage?". tests/tenants/scoring/test_rules.py checks the two forms agree.

A member earns the highest stage whose bar they clear:
  advocate     E ≥ advocate threshold and an advocacy signal in the last ADVOCACY_DAYS
  loyal        E ≥ loyal threshold and tenure ≥ tenure_days
  active       E ≥ active threshold and activity in ≥ active_weeks of the last WEEKS_WINDOW weeks
  participant  E ≥ participant threshold
  newcomer     otherwise
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tenants.scoring.settings import Model

STAGES = ("newcomer", "participant", "active", "loyal", "advocate")
WEEKS_WINDOW = 8          # "active in ≥ N of the last 8 weeks"
ADVOCACY_DAYS = 180

# A stage rank (0-4) as its name.
STAGE_NAME = ("CASE {} WHEN 0 THEN 'newcomer' WHEN 1 THEN 'participant' WHEN 2 THEN 'active' "
              "WHEN 3 THEN 'loyal' WHEN 4 THEN 'advocate' END")
# A stage name as its rank.
STAGE_RANK = ("CASE {} WHEN 'newcomer' THEN 0 WHEN 'participant' THEN 1 WHEN 'active' THEN 2 "
              "WHEN 'loyal' THEN 3 WHEN 'advocate' THEN 4 END")


def bind(model: Model, params: dict) -> None:
    """Bind what earned_sql and advocacy_sql read: thresholds :t1..:t4, :need_weeks, the advocacy types :adv
    and the types whose rollup rows may carry a signal, :signals."""
    for i, stage in enumerate(STAGES[1:], start=1):
        params[f"t{i}"] = model.thresholds[stage]
    params["need_weeks"] = model.active_weeks
    params["adv"] = list(model.advocacy_types)
    params["signals"] = list(model.advocacy_types) + (["survey_answer"] if model.advocacy_nps else [])


def earned_sql(e: str, tenure_ok: str, weeks: str, advocate: str) -> str:
    """The rank of the stage earned, as SQL over a score `e`, a tenure condition, a count of active weeks and
    an advocacy condition (see bind for the parameters)."""
    return (f"CASE WHEN {e} >= :t4 AND {advocate} THEN 4 WHEN {e} >= :t3 AND {tenure_ok} THEN 3 "
            f"WHEN {e} >= :t2 AND {weeks} >= :need_weeks THEN 2 WHEN {e} >= :t1 THEN 1 ELSE 0 END")


def advocacy_sql(model: Model, alias: str = "d") -> str:
    """A member_day row (`alias`) that is an advocacy signal: an advocacy type, or a promoter's survey answer
    when NPS counts."""
    promoter = f" OR {alias}.promoters > 0" if model.advocacy_nps else ""
    return f"({alias}.type = ANY(CAST(:adv AS text[])){promoter})"


def leader_sql(model: Model, member: str = "m.id") -> str:
    """With the model's leader option: the member is an active opinion leader, which is an advocacy signal. The
    leaders context sits above scoring, so its table is read by name."""
    if not model.advocacy_leader:
        return "false"
    return f"EXISTS (SELECT 1 FROM leader l WHERE l.member_id = {member} AND l.status = 'active')"


def is_signal(model: Model, kind: str, promoters: int) -> bool:
    """The Python form of advocacy_sql."""
    return kind in model.advocacy_types or bool(model.advocacy_nps and promoters)


@dataclass(frozen=True)
class Standing:
    """What the rules read of a member: score, whether the tenure bar is met, active weeks, advocacy."""
    score: float
    tenure_ok: bool
    weeks: int
    advocacy: bool


def earned(model: Model, s: Standing) -> int:
    """The Python form of earned_sql."""
    t = model.thresholds
    if s.score >= t["advocate"] and s.advocacy:
        return 4
    if s.score >= t["loyal"] and s.tenure_ok:
        return 3
    if s.score >= t["active"] and s.weeks >= model.active_weeks:
        return 2
    return 1 if s.score >= t["participant"] else 0


def missing(model: Model, s: Standing, tenure_days: int, rank: int) -> list[tuple[str, float]]:
    """What the next stage above `rank` still needs: (what, how much) for score, weeks, tenure, advocacy."""
    if rank + 1 >= len(STAGES):
        return []
    target = STAGES[rank + 1]
    need: list[tuple[str, float]] = []
    if s.score < model.thresholds[target]:     # rounded up: a member short of the bar is never told "0.0"
        need.append(("score", math.ceil((model.thresholds[target] - s.score) * 10) / 10))
    if target == "active" and s.weeks < model.active_weeks:
        need.append(("weeks", model.active_weeks - s.weeks))
    if target == "loyal" and not s.tenure_ok:
        need.append(("tenure", model.tenure_days - tenure_days))
    if target == "advocate" and not s.advocacy:
        need.append(("advocacy", 1))
    return need
