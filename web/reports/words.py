"""A report's summary sentences worded in the current language, member names as a reader may see them, and the
branding the report templates take."""
from __future__ import annotations

import base64
from datetime import date
from types import SimpleNamespace

from flask_babel import format_date, format_decimal, gettext

from tenants.agency import branding
from tenants.core.db import db


def brand(org, inline_logo: bool = False) -> dict:
    """The organisation's white label (tenants.agency.branding: its override, else the agency's, else
    Communa's) as the report templates take it. `inline_logo`: the logo as a data: URI, for the PDF, which loads
    no URL."""
    b = branding.for_org(db, org)
    logo = b.logo_url or ""
    if logo and inline_logo:
        found = branding.logo_of(db, org.id)
        logo = f"data:{found[1]};base64,{base64.b64encode(found[0]).decode()}" if found else ""
    return {"logo_url": logo, "colour": b.colour, "footer": b.footer, "sender_name": b.sender_name}


def month_name(label: str) -> str:
    """'2026-05' → "May 2026" in the current language."""
    year, month = (int(part) for part in label.split("-"))
    return format_date(date(year, month, 1), "LLLL y")


def segment_name(item: dict) -> str:
    """A frozen segment's name; a starter segment's in the current language while its text is the original."""
    from ..segments.words import starter_text
    return starter_text(SimpleNamespace(name=item.get("name", ""), description="", starter=item.get("starter")))[0]


def _group(params: dict) -> str:
    kind = params.get("group")
    if kind == "event":
        return gettext("members who attended %(name)s", name=params.get("name", ""))
    if kind == "segment":
        return gettext("members of the segment %(name)s", name=segment_name(params))
    return gettext("members the opinion leaders reached")


def _signed(n) -> str:
    return format_decimal(n, "+#,##0;-#,##0")


def sentence(item: dict) -> str:
    code, p = item.get("code"), item.get("params") or {}
    if code == "loyal_up_mostly":
        return gettext("Loyal and advocates %(n)s, mostly %(group)s (%(k)s of %(of)s who moved up).",
                       n=_signed(p["n"]), group=_group(p), k=p["k"], of=p["of"])
    if code == "loyal_up_partly":
        return gettext("Loyal and advocates %(n)s; %(k)s of the %(of)s who moved up were %(group)s.",
                       n=_signed(p["n"]), group=_group(p), k=p["k"], of=p["of"])
    if code in ("loyal_up", "loyal_down"):
        return gettext("Loyal and advocates %(n)s against the previous period.", n=_signed(p["n"]))
    if code == "active_up":
        return gettext("Active members up %(pct)s%% against the previous period.", pct=format_decimal(p["pct"]))
    if code == "active_down":
        return gettext("Active members down %(pct)s%% against the previous period.", pct=format_decimal(p["pct"]))
    if code == "churn_over_new":
        return gettext("More members went quiet (%(churned)s) than joined (%(new)s).", churned=p["churned"],
                       new=p["new"])
    if code == "at_risk_up":
        return gettext("The share of members at risk rose by %(points)s points.", points=format_decimal(p["points"]))
    if code == "at_risk_down":
        return gettext("The share of members at risk fell by %(points)s points.", points=format_decimal(p["points"]))
    if code == "nps_up":
        return gettext("NPS rose by %(points)s points to %(nps)s.", points=p["points"], nps=_signed(p["nps"]))
    if code == "nps_down":
        return gettext("NPS fell by %(points)s points to %(nps)s.", points=p["points"], nps=_signed(p["nps"]))
    if code == "no_data":
        return gettext("No data for this period yet.")
    return gettext("No notable change against the previous period.")


class Names:
    """Members' names as the reader may see them: the real ones, or "Member 1", "Member 2"… in order of
    appearance (the same member keeps their number across the report)."""

    def __init__(self, show: bool) -> None:
        self.show, self.seen = show, {}

    def __call__(self, member: dict) -> str:
        if self.show:
            return member.get("name") or "—"
        number = self.seen.setdefault(member.get("id"), len(self.seen) + 1)
        return gettext("Member %(num)s", num=number)
