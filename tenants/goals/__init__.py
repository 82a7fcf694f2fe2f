"""Goals of an organisation: a KPI of the registry (optionally over a segment) with a baseline taken on the start
date, one or more targets with due dates, an owner, a SMART description and a category; daily points written by
the metrics job; progress and on track / at risk / behind against an even pace (see progress.py)."""
from tenants.goals.points import backfill, record_points
from tenants.goals.summary import for_report, status_counts

__all__ = ["backfill", "for_report", "record_points", "status_counts"]
