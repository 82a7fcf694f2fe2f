"""The summary's rules, each on figures with a known answer."""
from __future__ import annotations

from tenants.reports import attribution, summary

BASE = {"loyal_advocates": 40, "active": 100, "churned": 5, "new": 10, "at_risk_share": 10.0, "nps": 20}


def test_loyalty_up_mostly_names_the_largest_group():
    moved = attribution.attribute({1, 2, 3, 4}, [
        {"kind": "leaders", "name": "", "members": {1}},
        {"kind": "event", "name": "October meet-up", "members": {1, 2, 3, 9}},
        {"kind": "segment", "name": "VIP", "members": {4}}])
    assert moved == {"risers": 4, "groups": [{"kind": "event", "name": "October meet-up", "n": 3},
                                             {"kind": "leaders", "name": "", "n": 1},
                                             {"kind": "segment", "name": "VIP", "n": 1}]}
    got = summary.loyalty({**BASE, "loyal_advocates": 52}, BASE, moved)
    assert got == {"code": "loyal_up_mostly", "params": {"n": 12, "group": "event", "name": "October meet-up",
                                                         "k": 3, "of": 4}}


def test_loyalty_up_partly_when_no_group_holds_half():
    moved = attribution.attribute({1, 2, 3, 4, 5}, [{"kind": "leaders", "name": "", "members": {1, 2}}])
    got = summary.loyalty({**BASE, "loyal_advocates": 45}, BASE, moved)
    assert got["code"] == "loyal_up_partly" and got["params"]["k"] == 2 and got["params"]["of"] == 5


def test_loyalty_without_risers_or_going_down_or_unchanged_or_unknown():
    empty = {"risers": 0, "groups": []}
    assert summary.loyalty({**BASE, "loyal_advocates": 43}, BASE, empty) == {"code": "loyal_up", "params": {"n": 3}}
    assert summary.loyalty({**BASE, "loyal_advocates": 30}, BASE, empty) == {"code": "loyal_down", "params": {"n": -10}}
    assert summary.loyalty(BASE, BASE, empty) is None
    assert summary.loyalty({**BASE, "loyal_advocates": None}, BASE, empty) is None


def test_active_members_change_from_five_percent():
    assert summary.active({**BASE, "active": 112}, BASE) == {"code": "active_up", "params": {"pct": 12.0}}
    assert summary.active({**BASE, "active": 90}, BASE) == {"code": "active_down", "params": {"pct": 10.0}}
    assert summary.active({**BASE, "active": 104}, BASE) is None
    assert summary.active(BASE, {**BASE, "active": 0}) is None


def test_churn_over_new_at_risk_and_nps():
    assert summary.churn({**BASE, "churned": 12}) == {"code": "churn_over_new", "params": {"churned": 12, "new": 10}}
    assert summary.churn(BASE) is None and summary.churn({**BASE, "new": None}) is None
    assert summary.at_risk({**BASE, "at_risk_share": 13.5}, BASE) == {"code": "at_risk_up", "params": {"points": 3.5}}
    assert summary.at_risk({**BASE, "at_risk_share": 7.0}, BASE)["code"] == "at_risk_down"
    assert summary.at_risk({**BASE, "at_risk_share": 11.0}, BASE) is None
    assert summary.nps({**BASE, "nps": 30}, BASE) == {"code": "nps_up", "params": {"points": 10, "nps": 30}}
    assert summary.nps({**BASE, "nps": 10}, BASE)["code"] == "nps_down"
    assert summary.nps({**BASE, "nps": 22}, BASE) is None and summary.nps({**BASE, "nps": None}, BASE) is None


def test_sentences_in_order_steady_and_no_data():
    empty = {"risers": 0, "groups": []}
    now = {**BASE, "loyal_advocates": 45, "active": 80, "churned": 20}
    assert [s["code"] for s in summary.sentences(now, BASE, empty)] == ["loyal_up", "active_down", "churn_over_new"]
    assert summary.sentences(BASE, BASE, empty) == [{"code": "steady", "params": {}}]
    assert summary.sentences(dict.fromkeys(BASE), BASE, empty) == [{"code": "no_data", "params": {}}]
