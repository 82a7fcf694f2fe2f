"""Cells for CSV files people open in Excel: a leading = + - @ (or tab/CR) would run as a formula, and so would
their full-width forms (＝ ＋ － ＠), which spreadsheets read as the ASCII ones."""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
