"""The OpenAPI 3.1 document of API v1, served at /api/v1/openapi.json. Tests check the API against it."""
from __future__ import annotations

from tenants.community.models import ACTIVITY_TYPES
from tenants.community.validate import MAX_BATCH, MAX_META_BYTES, MAX_META_DEPTH, MAX_WEIGHT
from tenants.scoring import STAGES

IDENTITY = {
    "type": "object", "required": ["channel", "external_id"],
    "properties": {
        "channel": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,31}$", "examples": ["telegram"]},
        "external_id": {"type": "string", "minLength": 1, "maxLength": 200},
        "handle": {"type": ["string", "null"], "maxLength": 200},
        "display_name": {"type": ["string", "null"], "maxLength": 200},
        "email": {"type": ["string", "null"], "maxLength": 254, "format": "email",
                  "pattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"},
    },
}
ACTIVITY = {
    "type": "object", "required": ["member", "type", "occurred_at", "source_id"],
    "properties": {
        "member": {"$ref": "#/components/schemas/Identity"},
        "type": {"type": "string", "enum": list(ACTIVITY_TYPES)},
        "occurred_at": {"type": "string", "format": "date-time",
                        "description": "ISO 8601 with a time zone; from 2000 on and not in the future"},
        "source_id": {"type": "string", "minLength": 1, "maxLength": 200,
                      "description": "Your id of this activity; unique per organisation. Re-sending it is a no-op."},
        "channel": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,31}$",
                    "description": "Defaults to the member identity's channel"},
        "target": {"$ref": "#/components/schemas/IdentityRef"},
        "weight": {"type": ["number", "null"], "minimum": 0, "maximum": MAX_WEIGHT},
        "meta": {"type": "object",
                 "description": f"Any JSON object of up to {MAX_META_BYTES} bytes, nested at most {MAX_META_DEPTH} "
                                "levels; no NaN or Infinity, no integer beyond 2^53"},
    },
}
MEMBER = {
    "type": "object",
    "required": ["id", "display_name", "email", "identities", "tags", "is_staff", "is_bot", "first_seen_at",
                 "last_active_at", "activity_count", "engagement_score", "loyalty_index", "stage", "at_risk",
                 "influence"],
    "properties": {
        "id": {"type": "string", "description": "public id"},
        "display_name": {"type": "string"},
        "email": {"type": ["string", "null"]},
        "phone": {"type": ["string", "null"]},
        "city": {"type": ["string", "null"]},
        "identities": {"type": "array", "items": {
            "type": "object", "required": ["channel", "external_id", "handle"],
            "properties": {"channel": {"type": "string"}, "external_id": {"type": "string"},
                           "handle": {"type": ["string", "null"]}}}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "attributes": {"type": "object"},
        "followers": {"type": ["integer", "null"]},
        "is_staff": {"type": "boolean"},
        "is_bot": {"type": "boolean"},
        "first_seen_at": {"type": ["string", "null"], "format": "date-time",
                          "description": "Earliest activity; like last_active_at and activity_count, brought up "
                                         "to date with the scores by the scoring job that follows each ingest "
                                         "batch (normally within seconds)"},
        "last_active_at": {"type": ["string", "null"], "format": "date-time"},
        "activity_count": {"type": "integer"},
        "engagement_score": {"type": ["number", "null"],
                             "description": "Decayed weighted sum of the member's activity as of scored_at"},
        "loyalty_index": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
        "stage": {"type": ["string", "null"], "enum": [*STAGES, None]},
        "at_risk": {"type": "boolean"},
        "influence": {"type": ["number", "null"], "minimum": 0, "maximum": 100,
                      "description": "Percentile within the organisation over 90 days"},
        "scored_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
SUMMARY = {
    "type": "object",
    "required": ["members", "active_7d", "active_30d", "stages", "at_risk", "computed_at"],
    "properties": {
        "members": {"type": "integer", "description": "Members, staff and bots left out"},
        "active_7d": {"type": "integer"}, "active_30d": {"type": "integer"},
        "stages": {"type": "object", "required": list(STAGES),
                   "properties": {s: {"type": "integer"} for s in STAGES}},
        "at_risk": {"type": "integer"},
        "computed_at": {"type": ["string", "null"], "format": "date-time"},
        "full_recompute_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}


def _err(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def spec(server: str) -> dict:
    common = {"401": _err("Missing, invalid or revoked API key"), "429": _err("Rate limit exceeded")}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Communa API", "version": "1.0.0",
                 "description": "Send your community's activity to Communa and read its members. Every key "
                                "belongs to one organisation and sees only that organisation's data."},
        "servers": [{"url": server}],
        "security": [{"apiKey": []}],
        "paths": {
            "/api/v1/activities": {"post": {
                "operationId": "postActivities",
                "summary": f"Store up to {MAX_BATCH} activities",
                "description": "Unknown members are created from their identity. Valid items are stored even "
                               "when others fail; an item whose source_id was seen before counts as a duplicate. "
                               "An item is refused (with its index and reason in `errors`, and no member created "
                               "for it) when any value is out of range: text longer than its field or holding a "
                               "NUL or a lone surrogate, a time before 2000 or more than a day ahead, a weight "
                               "outside 0-1000 or not finite.",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["activities"],
                    "properties": {"activities": {"type": "array", "maxItems": MAX_BATCH,
                                                  "items": {"$ref": "#/components/schemas/Activity"}}}}}}},
                "responses": {
                    "200": {"description": "Counts and per-item errors", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/IngestResult"}}}},
                    "422": {"description": "Every item was invalid", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/IngestResult"}}}},
                    "400": _err("Body is not {\"activities\": [...]}, or is nested too deeply"),
                    "413": _err(f"More than {MAX_BATCH} activities"),
                    **common}}},
            "/api/v1/members": {"get": {
                "operationId": "listMembers",
                "summary": "List members (ordered by name), optionally filtered",
                "parameters": [
                    {"name": "channel", "in": "query", "schema": {"type": "string"}},
                    {"name": "external_id", "in": "query", "schema": {"type": "string"},
                     "description": "With channel: find the member with this identity"},
                    {"name": "email", "in": "query", "schema": {"type": "string"}},
                    {"name": "tag", "in": "query", "schema": {"type": "string"}},
                    {"name": "q", "in": "query", "schema": {"type": "string"},
                     "description": "Search in names, emails and handles"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500,
                                                                "default": 100}},
                    {"name": "cursor", "in": "query", "schema": {"type": "string"},
                     "description": "next_cursor of the previous page"},
                ],
                "responses": {
                    "200": {"description": "A page of members", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["members", "next_cursor"],
                        "properties": {"members": {"type": "array", "items": {"$ref": "#/components/schemas/Member"}},
                                       "next_cursor": {"type": ["string", "null"]}}}}}},
                    "400": _err("Invalid parameter"),
                    **common}}},
            "/api/v1/metrics/summary": {"get": {
                "operationId": "metricsSummary",
                "summary": "The organisation's current totals and when they were computed",
                "responses": {
                    "200": {"description": "Totals", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Summary"}}}},
                    **common}}},
            "/api/v1/members/{member_id}": {"get": {
                "operationId": "getMember",
                "summary": "One member",
                "parameters": [{"name": "member_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "The member", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Member"}}}},
                    "404": _err("No such member in this organisation"),
                    **common}}},
        },
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                           "description": "An organisation API key: cmk_xxxxxxxx_..."}},
            "schemas": {
                "Identity": IDENTITY,
                "IdentityRef": {**IDENTITY, "type": ["object", "null"]},
                "Activity": ACTIVITY,
                "Member": MEMBER,
                "Summary": SUMMARY,
                "Error": ERROR,
                "IngestResult": {"type": "object", "required": ["accepted", "duplicates", "errors"], "properties": {
                    "accepted": {"type": "integer"}, "duplicates": {"type": "integer"},
                    "errors": {"type": "array", "items": {"type": "object", "required": ["index", "error"],
                                                          "properties": {"index": {"type": "integer"},
                                                                         "error": {"type": "string"}}}}}},
            },
        },
    }
