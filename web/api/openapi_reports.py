"""The reports part of the OpenAPI document (web/api/openapi.py puts it in)."""
from __future__ import annotations

from tenants.kpis import CODES

REPORT = {
    "type": "object",
    "required": ["id", "period", "version", "status", "figures"],
    "properties": {
        "id": {"type": "string"},
        "period": {"type": "object", "required": ["start", "end"], "properties": {
            "start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"}}},
        "version": {"type": "integer", "description": "Generating the same period again makes the next version"},
        "status": {"type": "string", "enum": ["published"]},
        "figures": {"type": "object", "description": "KPI code → value for the period, frozen when the report was "
                                                     "generated; null is no data. Codes: " + ", ".join(CODES),
                    "additionalProperties": {"type": ["number", "null"]}},
    },
}


def paths(common: dict, json, err, query, path_value: str, max_limit: int) -> dict:
    report_id = {"name": "report_id", "in": "path", "required": True,
                 "schema": {"type": "string", "pattern": path_value, "maxLength": 100},
                 "description": "The report's id (id in a report object)"}
    one = {"$ref": "#/components/schemas/Report"}
    return {
        "/api/v1/reports": {"get": {
            "operationId": "listReports", "summary": "The organisation's published reports, newest period first",
            "responses": {"200": json("Reports", {"type": "object", "required": ["reports"], "properties": {
                "reports": {"type": "array", "items": one}}}), **common}}},
        "/api/v1/reports/{report_id}": {"get": {
            "operationId": "getReport", "summary": "One published report",
            "parameters": [report_id],
            "responses": {"200": json("The report", one), **common,
                          "404": err("No such published report in this organisation")}}},
    }
