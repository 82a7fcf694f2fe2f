"""Progress, pace and status of a goal: pure functions of the baseline, the targets and the points.

- Progress toward a target = (current − baseline) / (target − baseline). A KPI where lower is better works the
  same way (its target is below the baseline). When target = baseline, progress is 1 once the target is
  reached (at least it for an "up" goal, at most it for a "down" one), else 0.
- The expected pace is even: a straight line from (start, baseline) to (first due date, first target), then from
  each target to the next. The expected progress on a day is where that line stands, as progress toward the
  current target (the first one not yet due; a target due today is not yet due).
- Status, while the current target is not yet due: **on track** if progress ≥ expected − 10 points (or the target
  is already reached), **at risk** if progress ≥ expected − 25 points, else **behind**. Once every due date has
  passed: **achieved** if the last target was reached by its due date (the last point up to it), else
  **missed**. **not started** before the start date; **no data** while there is no baseline or no point.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

ON_TRACK_SLACK = 0.10
AT_RISK_SLACK = 0.25
PROJECTION_POINTS = 28       # the recent points the projection's straight line is fitted to


@dataclass(frozen=True)
class Target:
    value: float
    due: date


@dataclass(frozen=True)
class Evaluation:
    """A goal on one day: the figures its page, list, portfolio and report show."""
    day: date
    current: float | None
    target: Target | None
    index: int | None            # of the current target
    progress: float | None       # fraction: 1.0 is the target reached
    expected: float | None       # fraction of the way the even pace is on the day
    status: str


def targets_of(raw: list) -> list[Target]:
    """The stored [{"value", "due"}] as Targets, ordered by due date."""
    return sorted((Target(float(t["value"]), date.fromisoformat(t["due"])) for t in raw or []),
                  key=lambda t: t.due)


def stored(targets: list[Target]) -> list[dict]:
    return [{"value": t.value, "due": t.due.isoformat()} for t in sorted(targets, key=lambda t: t.due)]


def current_index(targets: list[Target], day: date) -> int | None:
    """The first target not yet due on `day`, else the last one (None without targets)."""
    if not targets:
        return None
    return next((i for i, t in enumerate(targets) if t.due >= day), len(targets) - 1)


def reached(current: float, target: float, direction: int) -> bool:
    return current >= target if direction >= 0 else current <= target


def progress(baseline: float | None, current: float | None, target: float | None, direction: int = 1) -> float | None:
    if baseline is None or current is None or target is None:
        return None
    if target == baseline:
        return 1.0 if reached(current, target, direction) else 0.0
    return (current - baseline) / (target - baseline)


def expected(start: date, baseline: float, targets: list[Target], index: int, day: date) -> float:
    """Where the even pace stands on `day`, as progress toward targets[index]."""
    target = targets[index]
    since, level = (start, baseline) if index == 0 else (targets[index - 1].due, targets[index - 1].value)
    span = (target.due - since).days
    share = 1.0 if span <= 0 else min(1.0, max(0.0, (day - since).days / span))
    if target.value == baseline:
        return share
    return (level + (target.value - level) * share - baseline) / (target.value - baseline)


def status_for(progress_now: float | None, expected_now: float | None) -> str:
    if progress_now is None or expected_now is None:
        return "no_data"
    if progress_now >= 1 or progress_now >= expected_now - ON_TRACK_SLACK:
        return "on_track"
    if progress_now >= expected_now - AT_RISK_SLACK:
        return "at_risk"
    return "behind"


def latest(points: list[tuple[date, float | None]], until: date) -> float | None:
    """The last value (not None) on or before `until`."""
    found = None
    for day, value in points:
        if day > until:
            break
        if value is not None:
            found = value
    return found


def evaluate(start: date, baseline: float | None, targets: list[Target], direction: int,
             points: list[tuple[date, float | None]], day: date) -> Evaluation:
    """The goal on `day` from its points (ordered by day; those after `day` are ignored)."""
    points = sorted(points, key=lambda p: p[0])
    current = latest(points, day)
    index = current_index(targets, day)
    target = None if index is None else targets[index]
    if day < start:
        return Evaluation(day, current, target, index, None, None, "not_started")
    if target is None or baseline is None:
        return Evaluation(day, current, target, index, None, None, "no_data")
    if target.due < day:            # every due date has passed: judged on the last value up to the last one
        at_due = latest(points, target.due)
        done = progress(baseline, at_due, target.value, direction)
        status = "no_data" if done is None else ("achieved" if done >= 1 else "missed")
        return Evaluation(day, current, target, index, progress(baseline, current, target.value, direction), 1.0,
                          status)
    now = progress(baseline, current, target.value, direction)
    pace = expected(start, baseline, targets, index, day)
    return Evaluation(day, current, target, index, now, pace, status_for(now, pace))


def projection(points: list[tuple[date, float | None]], until: date) -> list[tuple[date, float]]:
    """A straight line fitted (least squares) to the recent points, from the last point to `until`: two points,
    or none when fewer than two days have values or `until` is not after the last point."""
    known = [(d, v) for d, v in sorted(points, key=lambda p: p[0]) if v is not None][-PROJECTION_POINTS:]
    if len(known) < 2 or until <= known[-1][0]:
        return []
    origin = known[0][0]
    xs = [(d - origin).days for d, _v in known]
    ys = [v for _d, v in known]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    if spread == 0:
        return []
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / spread
    last = known[-1][0]
    return [(d, round(my + slope * ((d - origin).days - mx), 2)) for d in (last, until)]


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
