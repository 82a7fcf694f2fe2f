"""The report's body rendered for a page, a share page or a PDF (WeasyPrint: the same template with print CSS,
in the report's language, charts as inline SVG)."""
from __future__ import annotations

from pathlib import Path

from flask import render_template
from flask_babel import force_locale

from tenants.reports.models import Report

from . import charts
from .words import Names, brand, month_name, segment_name, sentence

PRINT_CSS = Path(__file__).resolve().parents[1] / "static" / "report-print.css"


def context(report: Report, org, show_names: bool, inline_logo: bool = False) -> dict:
    s = report.sections or {}
    return {"report": report, "org": org, "s": s, "figures": report.figures or {}, "previous": s.get("previous") or {},
            "names": Names(show_names), "brand": brand(org, inline_logo), "charts": charts, "sentence": sentence,
            "month_name": month_name, "segment_name": segment_name}


def pdf(report: Report, org, show_names: bool) -> bytes:
    """The report as a PDF, in its own language."""
    from weasyprint import HTML  # imported on first use: it loads Pango
    with force_locale(report.language):
        html = render_template("reports/pdf.html", css=PRINT_CSS.read_text(),
                               **context(report, org, show_names, inline_logo=True))
    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"the report PDF loads nothing: {url}")


def filename(report: Report, org) -> str:
    return f"{org.slug}-report-{report.period_start.isoformat()}-{report.period_end.isoformat()}-v{report.version}.pdf"
