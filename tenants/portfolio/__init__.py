"""The agency portfolio: every client organisation's figures, read from the stored daily figures, and what
needs attention."""
from tenants.portfolio.attention import REASONS, Reason
from tenants.portfolio.portfolio import CSV_COLUMNS, SORTS, Row, csv_text, next_report, ordered, parse_sort, rows

__all__ = ["CSV_COLUMNS", "REASONS", "SORTS", "Reason", "Row", "csv_text", "next_report", "ordered", "parse_sort",
           "rows"]
