"""What a digest says: the headline figures from the KPI registry with their plain explanations, the change
against the period before, the report's link (monthly), and an unsubscribe link, in the reader's language;
plain text and HTML."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_date
from markupsafe import Markup
from sqlalchemy.orm import Session

from tenants import kpis
from tenants.agency import branding
from tenants.agency.models import Organisation
from tenants.core.base import utcnow
from tenants.core.i18n import LANGUAGES, base_url, translations
from tenants.kpis.format import change_text, value_text
from tenants.metrics.dashboard import Period

HEADLINE = ("members", "active_30d", "new", "loyal_advocates", "at_risk_share", "nps")
WEEKLY = ("members", "active_7d", "new", "loyal_advocates", "at_risk_share", "nps")
UNSUBSCRIBE_PATH = "/digest/unsubscribe/{}"


@dataclass(frozen=True)
class Built:
    subject: str
    text: str
    html: str


def org_language(session: Session, org: Organisation | None) -> str:
    """The language an organisation's reports and digests are written in (its white label)."""
    lang = branding.for_org(session, org).language
    return lang if lang in LANGUAGES else "en"


def _figures(session: Session, org: Organisation, kind: str, report, today: date) -> tuple[list, Period]:
    """[(code, now, before)] and the period: a report's frozen figures, or the last 7 days for a weekly."""
    if report is not None:          # the report's frozen figures and its previous period's
        figures, before = report.figures or {}, (report.sections or {}).get("previous") or {}
        return [(c, figures.get(c), before.get(c)) for c in HEADLINE], Period(report.period_start, report.period_end)
    p = Period(today - timedelta(days=6), today)
    codes = WEEKLY if kind != "monthly" else HEADLINE
    now = kpis.compute(session, org.id, p, codes)
    before = kpis.compute(session, org.id, p.previous(), codes)
    return [(c, now[c], before[c]) for c in codes], p


def build(session: Session, org: Organisation, kind: str, person, token: str, report=None,
          link: str | None = None) -> Built:
    """The digest of `kind` for one reader; `link` opens the report (monthly)."""
    lang = person.lang if person.lang in LANGUAGES else "en"
    _ = translations(lang).gettext
    rows, p = _figures(session, org, kind, report, utcnow().date())
    span = f"{format_date(p.start, 'd MMM', locale=lang)} – {format_date(p.end, 'd MMM y', locale=lang)}"
    if kind == "monthly":
        subject = _("%(org)s: loyalty report for %(month)s") % {
            "org": org.name, "month": format_date(p.start, "LLLL y", locale=lang)}
    else:
        subject = _("%(org)s: your community this week") % {"org": org.name}
    if kind == "test":
        subject = _("[Test] %(subject)s") % {"subject": subject}
    lines = [(_(kpis.KPIS[c].name), value_text(c, now, lang), change_text(c, now, before, lang, _("pts")),
              _(kpis.KPIS[c].hint))
             for c, now, before in rows]
    brand = branding.for_org(session, org)
    unsubscribe = base_url() + UNSUBSCRIBE_PATH.format(token)
    intro = _("The figures for %(span)s, against the period before.") % {"span": span}
    why = _("You receive this digest from %(org)s.") % {"org": org.name}
    text = [subject, intro, ""]
    text += [f"{name}: {shown}{f' ({diff})' if diff else ''}\n  {hint}" for name, shown, diff, hint in lines]
    if link:
        text += ["", f"{_('Open the report')}: {link}"]
    text += ["", why, f"{_('Unsubscribe')}: {unsubscribe}"]
    if brand.footer:
        text += ["", brand.footer]
    return Built(subject, "\n".join(text) + "\n", _html(subject, intro, lines, link, why, unsubscribe, _, brand))


def _html(subject: str, intro: str, lines: list, link: str | None, why: str, unsubscribe: str, _,
          brand: branding.Brand) -> str:
    rows = Markup("").join(
        Markup('<tr><td style="padding:8px 0;border-bottom:1px solid #e5e7eb"><strong>{}</strong><br>'
               '<span style="color:#6b7185;font-size:13px">{}</span></td>'
               '<td style="padding:8px 0 8px 16px;border-bottom:1px solid #e5e7eb;text-align:right;white-space:nowrap">'
               '<strong style="font-size:18px">{}</strong><br><span style="color:#6b7185;font-size:13px">{}</span>'
               '</td></tr>').format(name, hint, shown, diff) for name, shown, diff, hint in lines)
    button = Markup('<p><a href="{}" style="display:inline-block;padding:10px 18px;background:{};color:#fff;'
                    'border-radius:8px;text-decoration:none;font-weight:600">{}</a></p>').format(
                        link, brand.colour, _("Open the report")) if link else Markup("")
    logo = Markup('<p><img src="{}" alt="" style="max-height:48px"></p>').format(
        base_url() + brand.logo_url) if brand.logo_url else Markup("")
    footer = Markup('<p style="color:#6b7185;font-size:13px">{}</p>').format(brand.footer) if brand.footer else ""
    return str(Markup(
        '<!doctype html><html><body style="font-family:Segoe UI,Arial,sans-serif;font-size:15px;line-height:1.5;'
        'color:#1c2033;max-width:560px">{}<h2 style="font-size:18px;color:{}">{}</h2><p>{}</p>'
        '<table style="width:100%;border-collapse:collapse">{}</table>{}'
        '<p style="color:#6b7185;font-size:13px">{} <a href="{}">{}</a></p>{}</body></html>').format(
            logo, brand.colour, subject, intro, rows, button, why, unsubscribe, _("Unsubscribe"), footer))


