"""The KPI registry: every figure the dashboard, reports, portfolio and goals show, defined once."""
from tenants.kpis.registry import CODES, KPIS, Kpi, at, compute, trailing

__all__ = ["CODES", "KPIS", "Kpi", "at", "compute", "trailing"]
