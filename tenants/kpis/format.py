"""A KPI value as text in a locale, by the registry's unit: the one spelling for pages, mails and PDFs
("3 012", "12,1 %", NPS "+25" in Russian; "—" for no data)."""
from __future__ import annotations

from babel import Locale
from babel.numbers import format_decimal, format_percent

from tenants.kpis.registry import KPIS


def percent_pattern(locale: Locale | str, decimals: int) -> str:
    """The locale's own percent pattern ("#,##0\u00a0%" in Russian) with `decimals` places."""
    pattern = Locale.parse(locale).percent_formats[None].pattern
    return pattern.replace("0", "0." + "0" * decimals, 1) if decimals else pattern


def value_text(code: str, value: float | None, locale: Locale | str) -> str:
    if value is None:
        return "—"
    unit = KPIS[code].unit if code in KPIS else "count"
    if unit == "percent":
        return format_percent(value / 100, percent_pattern(locale, 1), locale=locale)
    if unit == "score":
        return format_decimal(value, "+#,##0;-#,##0", locale=locale) if value else "0"
    return format_decimal(value, "#,##0", locale=locale)


def change_text(code: str, now: float | None, before: float | None, locale: Locale | str,
                points: str = "pts") -> str:
    """The change against the period before: "+12" for counts, "+1.5 pts" for percents and scores ("" when
    there is nothing to compare or nothing changed). `points` is the translated word for points."""
    if now is None or before is None or now == before:
        return ""
    if KPIS[code].unit == "count":
        return format_decimal(now - before, "+#,##0;-#,##0", locale=locale)
    return f"{format_decimal(now - before, '+#,##0.0;-#,##0.0', locale=locale)} {points}"
