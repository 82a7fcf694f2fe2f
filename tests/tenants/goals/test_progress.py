"""Progress, pace, status and projection as pure functions: one target and several, higher and lower is better,
target equal to the baseline, before the start, after the due dates."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tenants.goals import progress as p
from tenants.goals.progress import Target

START = date(2026, 1, 1)
Q1, Q2 = date(2026, 4, 1), date(2026, 7, 1)


def test_progress_is_the_share_of_the_way_from_baseline_to_target():
    assert p.progress(100, 150, 200) == 0.5
    assert p.progress(100, 90, 200) == -0.1
    assert p.progress(100, 250, 200) == 1.5
    assert p.progress(None, 150, 200) is None and p.progress(100, None, 200) is None


def test_lower_is_better_works_through_the_same_formula():
    # at-risk share from 20 % down to 10 %: at 15 % half the way, at 25 % going the wrong way
    assert p.progress(20, 15, 10, -1) == 0.5
    assert p.progress(20, 25, 10, -1) == -0.5
    assert p.progress(20, 8, 10, -1) == pytest.approx(1.2)


def test_a_target_equal_to_the_baseline_is_all_or_nothing_by_direction():
    assert p.progress(50, 50, 50, 1) == 1.0 and p.progress(50, 51, 50, 1) == 1.0 and p.progress(50, 49, 50, 1) == 0
    assert p.progress(5, 4, 5, -1) == 1.0 and p.progress(5, 6, 5, -1) == 0.0


def test_the_current_target_is_the_first_not_yet_due():
    targets = [Target(150, Q1), Target(200, Q2)]
    assert p.current_index(targets, START) == 0
    assert p.current_index(targets, Q1) == 0                      # due today: not yet due
    assert p.current_index(targets, Q1 + timedelta(days=1)) == 1
    assert p.current_index(targets, Q2 + timedelta(days=10)) == 1  # all due: the last
    assert p.current_index([], START) is None


def test_the_expected_pace_is_even_from_start_to_due_and_then_target_to_target():
    one = [Target(200, Q1)]
    half = START + timedelta(days=(Q1 - START).days // 2)
    assert p.expected(START, 100, one, 0, START) == 0
    assert p.expected(START, 100, one, 0, half) == pytest.approx(0.5, abs=0.01)
    assert p.expected(START, 100, one, 0, Q1) == 1
    two = [Target(150, Q1), Target(200, Q2)]
    # on Q1 the pace stands at 150: half the way to the second target; halfway to Q2 at 175: 75 %
    assert p.expected(START, 100, two, 1, Q1) == pytest.approx(0.5)
    mid = Q1 + timedelta(days=(Q2 - Q1).days // 2)
    assert p.expected(START, 100, two, 1, mid) == pytest.approx(0.75, abs=0.01)


@pytest.mark.parametrize(("done", "pace", "status"), [
    (0.5, 0.5, "on_track"), (0.41, 0.5, "on_track"), (0.39, 0.5, "at_risk"), (0.26, 0.5, "at_risk"),
    (0.24, 0.5, "behind"), (1.0, 1.0, "on_track"), (1.2, 0.3, "on_track"), (None, 0.5, "no_data"),
])
def test_status_thresholds(done, pace, status):
    assert p.status_for(done, pace) == status


def _points(start: date, values: list) -> list:
    return [(start + timedelta(days=i), v) for i, v in enumerate(values)]


def test_evaluate_on_a_day_with_several_targets():
    targets = [Target(150, Q1), Target(200, Q2)]
    on_q1 = [(Q1, 150.0)]
    e = p.evaluate(START, 100, targets, 1, on_q1, Q1 + timedelta(days=1))
    assert e.index == 1 and e.target.value == 200 and e.current == 150
    assert e.progress == 0.5 and e.status == "on_track"
    lagging = p.evaluate(START, 100, targets, 1, [(Q1, 110.0)], Q1 + timedelta(days=1))
    assert lagging.status == "behind"             # 20 % of the way, the pace expects 50 %


def test_evaluate_lower_is_better_behind_and_on_track():
    targets = [Target(10, Q1)]
    half = START + timedelta(days=45)
    assert p.evaluate(START, 20, targets, -1, [(half, 15.0)], half).status == "on_track"
    assert p.evaluate(START, 20, targets, -1, [(half, 21.0)], half).status == "behind"


def test_evaluate_before_start_without_baseline_and_after_the_due_dates():
    targets = [Target(150, Q1)]
    assert p.evaluate(START, None, targets, 1, [], START - timedelta(days=1)).status == "not_started"
    assert p.evaluate(START, None, targets, 1, [], START).status == "no_data"
    after = Q1 + timedelta(days=5)
    assert p.evaluate(START, 100, targets, 1, [(Q1, 151.0), (after, 120.0)], after).status == "achieved"
    assert p.evaluate(START, 100, targets, 1, [(Q1, 140.0), (after, 160.0)], after).status == "missed"


def test_evaluate_ignores_points_after_the_day_and_none_values():
    pts = [(START, 100.0), (START + timedelta(days=10), 130.0), (START + timedelta(days=11), None),
           (START + timedelta(days=20), 190.0)]
    e = p.evaluate(START, 100, [Target(200, Q1)], 1, pts, START + timedelta(days=12))
    assert e.current == 130


def test_projection_is_a_straight_line_to_the_due_date():
    pts = _points(START, [100.0, 102.0, 104.0, None, 108.0])
    line = p.projection(pts, START + timedelta(days=14))
    assert line == [(START + timedelta(days=4), 108.0), (START + timedelta(days=14), 128.0)]
    assert p.projection(pts[:1], Q1) == []
    assert p.projection(pts, START + timedelta(days=2)) == []
