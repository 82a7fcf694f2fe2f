"""The plain-language summary of why loyalty moved, made by fixed rules from a report's figures. Each rule
gives a sentence as a code and its parameters (stored with the report and worded in its language by the web
layer), or nothing. Thresholds are in points or percent of the previous period."""
from __future__ import annotations

ACTIVE_CHANGE = 5.0     # percent of the previous period's active members
AT_RISK_CHANGE = 2.0    # points of at-risk share
NPS_CHANGE = 5          # NPS points
MOSTLY = 0.5            # a group holding at least this share of the risers explains "mostly"


def _delta(now: dict, before: dict, code: str):
    a, b = now.get(code), before.get(code)
    return None if a is None or b is None else a - b


def loyalty(now: dict, before: dict, attribution: dict) -> dict | None:
    """Loyal and advocates up or down, with the largest group of the members who moved up."""
    delta = _delta(now, before, "loyal_advocates")
    if not delta:
        return None
    params = {"n": int(delta)}
    top = (attribution.get("groups") or [None])[0]
    if delta > 0 and top and attribution.get("risers"):
        params.update(group=top["kind"], name=top["name"], k=top["n"], of=attribution["risers"])
        if top.get("starter"):
            params["starter"] = top["starter"]
        return {"code": "loyal_up_mostly" if top["n"] >= MOSTLY * attribution["risers"] else "loyal_up_partly",
                "params": params}
    return {"code": "loyal_up" if delta > 0 else "loyal_down", "params": params}


def active(now: dict, before: dict) -> dict | None:
    delta, base = _delta(now, before, "active"), before.get("active")
    if delta is None or not base:
        return None
    change = round(100.0 * delta / base, 1)
    if abs(change) < ACTIVE_CHANGE:
        return None
    return {"code": "active_up" if change > 0 else "active_down", "params": {"pct": abs(change)}}


def churn(now: dict) -> dict | None:
    churned, new = now.get("churned"), now.get("new")
    if churned is None or new is None or churned <= new:
        return None
    return {"code": "churn_over_new", "params": {"churned": int(churned), "new": int(new)}}


def at_risk(now: dict, before: dict) -> dict | None:
    delta = _delta(now, before, "at_risk_share")
    if delta is None or abs(delta) < AT_RISK_CHANGE:
        return None
    return {"code": "at_risk_up" if delta > 0 else "at_risk_down", "params": {"points": round(abs(delta), 1)}}


def nps(now: dict, before: dict) -> dict | None:
    delta = _delta(now, before, "nps")
    if delta is None or abs(delta) < NPS_CHANGE:
        return None
    return {"code": "nps_up" if delta > 0 else "nps_down",
            "params": {"points": int(abs(delta)), "nps": int(now["nps"])}}


def sentences(now: dict, before: dict, attribution: dict) -> list[dict]:
    """Every rule that has something to say, in order; "steady" when none has, "no_data" without figures."""
    if all(v is None for v in now.values()):
        return [{"code": "no_data", "params": {}}]
    found = [loyalty(now, before, attribution), active(now, before), churn(now), at_risk(now, before),
             nps(now, before)]
    return [s for s in found if s] or [{"code": "steady", "params": {}}]
