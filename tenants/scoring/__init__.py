"""Loyalty scoring: engagement score, loyalty index, stages, at-risk flag and influence (DESIGN.md, "Scoring
model"). Everything is set-based SQL over the `member_day` rollup; Python only binds parameters.

Closed-form decay. With half-life h (days) and a member's activity on days d (UTC day numbers):
    E(t) = Σ w · 2^(−(t − d)/h) = B · 2^(−(t − epoch)/h),   B = Σ w · 2^((d − epoch)/h)
`B` is `member.score_base`, scaled to the scoring model's epoch day. New activity adds its own terms to B
and touches nothing else, so the incremental path costs work in proportion to the new activity; the full
recompute sums every term again and gives the same B (up to floating-point rounding, ~1e-12 relative).

Paths (each one transaction, serialised per organisation by an advisory lock, so a run killed halfway leaves
nothing behind and two runs never interleave):
  incremental  drain `score_pending` (member days written with the activity, in the same transaction),
               rebuild those member days from `activity`, add (new − old) terms to B, re-stage those members
  full         B of every member straight from the activity, the rollup checked against the activity (member
               days rebuilt only for members whose checksum differs), re-stage everyone, at-risk, influence
  daily        no rebuild: re-stage everyone as scores decay, at-risk and influence (the nightly pass)

No member's data can stop the organisation's scoring: activities outside the ranges ingest accepts (sql.sane)
are left out and their members reported (RunResult.ignored), exponents and follower counts are clamped, and an
error no guard foresaw isolates the members it fails for (RunResult.failed): the incremental step halves its
chunk in savepoints, the full and daily passes fall back to scoring member by member (fallback).

Modules: settings (the model and its versions), rules (the stage ladder, in SQL and Python), sql (scoring's
SQL pieces), incremental, full (full and daily), fallback (member by member), stages (the decision and the
member rows), influence, explain (preview and "why this stage?"), state (stamps and results). This package
exports what other contexts and the outer layers call.
"""
from tenants.scoring.explain import explain, preview
from tenants.scoring.full import daily, full
from tenants.scoring.incremental import incremental
from tenants.scoring.rules import ADVOCACY_DAYS, STAGES, WEEKS_WINDOW
from tenants.scoring.settings import (
    DEFAULT_WEIGHTS,
    Model,
    ScoringError,
    current_model,
    save_model,
    save_version,
    versions,
)
from tenants.scoring.sql import ELIGIBLE
from tenants.scoring.state import SCORE_JOBS, RunResult, org_and_state, state, touch

__all__ = ["ADVOCACY_DAYS", "DEFAULT_WEIGHTS", "ELIGIBLE", "SCORE_JOBS", "STAGES", "WEEKS_WINDOW", "Model",
           "RunResult", "ScoringError", "current_model", "daily", "explain", "full", "incremental",
           "org_and_state", "preview", "save_model", "save_version", "state", "touch", "versions"]
