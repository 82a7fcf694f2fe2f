"""The stage rules' two forms (SQL for the set-based passes, Python for "why this stage?") agree."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tenants.scoring import rules
from tenants.scoring.settings import Model

MODEL = Model(thresholds={"participant": 1.0, "active": 10.0, "loyal": 30.0, "advocate": 60.0}, active_weeks=2)
# Scores around every threshold, exactly on it included: the bars are inclusive in both forms.
SCORES = st.one_of(st.sampled_from([0.0, 0.99, 1.0, 9.99, 10.0, 29.99, 30.0, 59.99, 60.0, 500.0]),
                   st.floats(min_value=0, max_value=200, allow_nan=False))
STANDINGS = st.builds(rules.Standing, score=SCORES, tenure_ok=st.booleans(), weeks=st.integers(0, 8),
                      advocacy=st.booleans())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(standing=STANDINGS)
def test_earned_stage_is_the_same_in_sql_and_python(owner_engine, standing):
    params: dict = {}
    rules.bind(MODEL, params)
    expr = rules.earned_sql("CAST(:e AS double precision)", ":tenure_ok", ":weeks", ":advocacy")
    with owner_engine.connect() as conn:
        in_sql = conn.execute(text(f"SELECT {expr}"), {**params, "e": standing.score,
                                                        "tenure_ok": standing.tenure_ok, "weeks": standing.weeks,
                                                        "advocacy": standing.advocacy}).scalar_one()
    assert in_sql == rules.earned(MODEL, standing)


def test_advocacy_signal_is_the_same_in_sql_and_python(owner_engine):
    for model in (MODEL, Model(advocacy_types=["referral"], advocacy_nps=False)):
        params: dict = {}
        rules.bind(model, params)
        for kind in ("referral", "share", "message", "survey_answer"):
            for promoters in (0, 1):
                with owner_engine.connect() as conn:
                    row = "SELECT CAST(:t AS text) AS type, :p AS promoters"
                    got = conn.execute(text(f"SELECT {rules.advocacy_sql(model)} FROM ({row}) d"),
                                       {**params, "t": kind, "p": promoters}).scalar_one()
                assert got == rules.is_signal(model, kind, promoters), (model.advocacy_types, kind, promoters)


def test_names_and_ranks_follow_the_ladder(owner_engine):
    with owner_engine.connect() as conn:
        for rank, stage in enumerate(rules.STAGES):
            assert conn.execute(text(f"SELECT {rules.STAGE_NAME.format(':r')}"), {"r": rank}).scalar_one() == stage
            assert conn.execute(text(f"SELECT {rules.STAGE_RANK.format('CAST(:s AS text)')}"),
                                {"s": stage}).scalar_one() == rank


def test_missing_names_what_the_next_stage_needs():
    standing = rules.Standing(score=25.0, tenure_ok=False, weeks=3, advocacy=False)
    assert rules.missing(MODEL, standing, tenure_days=20, rank=2) == [("score", 5.0), ("tenure", 40)]
    assert rules.missing(MODEL, standing, tenure_days=20, rank=4) == []


def test_a_member_just_below_the_bar_is_told_a_positive_amount():
    standing = rules.Standing(score=29.97, tenure_ok=True, weeks=3, advocacy=False)
    assert rules.missing(MODEL, standing, tenure_days=90, rank=2) == [("score", 0.1)]
