"""The OpenAPI 3.1 document of API v1, served at /api/v1/openapi.json. Tests check the API against it."""
from __future__ import annotations

from tenants.community.models import ACTIVITY_TYPES, CHANNELS, MEMBER_KINDS
from tenants.community.validate import MAX_BATCH, MAX_META_BYTES, MAX_META_DEPTH, MAX_WEIGHT
from tenants.leaders.leaders import MAX_NOTE, MAX_TOPIC, MAX_TOPICS
from tenants.leaders.models import LEADER_KINDS, LEADER_STATUSES
from tenants.scoring import STAGES

from ..params import MAX_LENGTH, PathValue
from . import openapi_events, openapi_reports, openapi_segments

MAX_LIMIT = 500          # members per page
PATH_VALUE = f"^{PathValue.regex}$"

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
    "required": ["id", "display_name", "kind", "email", "identities", "tags", "is_staff", "is_bot", "first_seen_at",
                 "last_active_at", "activity_count", "engagement_score", "loyalty_index", "stage", "at_risk",
                 "influence"],
    "properties": {
        "id": {"type": "string", "description": "public id"},
        "display_name": {"type": "string"},
        "kind": {"type": "string", "enum": list(MEMBER_KINDS), "description": "a person or an organisation"},
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
LEADER = {
    "type": "object",
    "required": ["id", "member", "status", "kind", "internal", "topics", "channels", "since"],
    "properties": {
        "id": {"type": "string", "description": "the leader's public id"},
        "member": {"$ref": "#/components/schemas/Member"},
        "status": {"type": "string", "enum": list(LEADER_STATUSES)},
        "kind": {"type": "string", "enum": list(LEADER_KINDS)},
        "internal": {"type": "boolean", "description": "an employee of the organisation"},
        "topics": {"type": "array", "items": {"type": "string"}},
        "channels": {"type": "array", "items": {"type": "string"}},
        "since": {"type": ["string", "null"], "format": "date-time", "description": "first became active"},
        "status_changed_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
TEXT = {"type": "string", "maxLength": MAX_NOTE}
LEADER_IN = {
    "type": "object", "required": ["member_id", "status"], "additionalProperties": False,
    "properties": {
        "member_id": {"type": "string", "maxLength": 100, "description": "the member's public id"},
        "status": {"type": "string", "enum": list(LEADER_STATUSES)},
        "kind": {"type": "string", "enum": list(LEADER_KINDS)},
        "internal": {"type": "boolean"},
        "topics": {"type": "array", "maxItems": MAX_TOPICS, "items": {"type": "string", "maxLength": MAX_TOPIC}},
        "channels": {"type": "array", "items": {"type": "string", "enum": list(CHANNELS)}},
        "note": {**TEXT, "description": "why (kept in the status history)"},
    },
}
LEADER_PATCH = {
    "type": "object", "required": ["status"], "additionalProperties": False,
    "properties": {"status": {"type": "string", "enum": list(LEADER_STATUSES)},
                   "note": {**TEXT, "description": "why the status changes (kept in the status history)"}},
}
CANDIDATE = {
    "type": "object", "required": ["member", "reasons", "influence", "reach"],
    "properties": {
        "member": {"$ref": "#/components/schemas/Member"},
        "reasons": {"type": "array", "items": {"type": "string"},
                    "description": "why, in words: e.g. answered by 41 members in 90 days, top 3% influence"},
        "influence": {"type": "number", "minimum": 0, "maximum": 100},
        "reach": {"type": "integer", "description": "followers"},
        "answered_by": {"type": "integer"}, "reached": {"type": "integer"}, "posts": {"type": "integer"},
    },
}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}


def _err(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _query(name: str, description: str = "", **schema) -> dict:
    """A query parameter: a string unless `schema` says otherwise (`web.params` checks every value)."""
    schema = schema or {"type": "string", "maxLength": MAX_LENGTH}
    return {"name": name, "in": "query", "schema": schema, **({"description": description} if description else {})}


def _json(description: str, schema: dict, **extra) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}, **extra}


def spec(server: str) -> dict:
    common = {"400": _err("A query value is malformed: a NUL or a lone surrogate, longer than "
                          f"{MAX_LENGTH} characters, or not an integer in its range"),
              "401": _err("Missing, invalid or revoked API key"),
              "403": _err("The API key lacks the scope this call needs"),
              "429": _err("Rate limit exceeded")}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Communa API", "version": "1.0.0",
                 "description": "Send your community's activity to Communa and read its members. Every key "
                                "belongs to one organisation and sees only that organisation's data. Errors "
                                "answer JSON: {\"error\": \"...\"}."},
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
                    "200": _json("Counts and per-item errors", {"$ref": "#/components/schemas/IngestResult"},
                                 links={"FindFirstMember": {
                                     "operationId": "listMembers",
                                     "description": "The member the first activity named",
                                     "parameters": {
                                         "channel": "$request.body#/activities/0/member/channel",
                                         "external_id": "$request.body#/activities/0/member/external_id"}}}),
                    "422": _json("Every item was invalid", {"$ref": "#/components/schemas/IngestResult"}),
                    **common,
                    "400": _err("Body is not {\"activities\": [...]} or too deep, or a query value is malformed"),
                    "413": _err(f"More than {MAX_BATCH} activities, or a body over the size limit")}}},
            "/api/v1/members": {"get": {
                "operationId": "listMembers",
                "summary": "List members (ordered by name), optionally filtered",
                "parameters": [
                    _query("channel"),
                    _query("external_id", "With channel: find the member with this identity"),
                    _query("email"), _query("tag"),
                    _query("q", "Search in names, emails and handles"),
                    _query("limit", type="integer", minimum=1, maximum=MAX_LIMIT, default=100),
                    _query("cursor", "next_cursor of the previous page"),
                ],
                "responses": {
                    "200": _json("A page of members", {
                        "type": "object", "required": ["members", "next_cursor"],
                        "properties": {"members": {"type": "array", "items": {"$ref": "#/components/schemas/Member"}},
                                       "next_cursor": {"type": ["string", "null"]}}},
                        links={"GetFirstMember": {"operationId": "getMember",
                                                  "parameters": {"member_id": "$response.body#/members/0/id"}},
                               "NextPage": {"operationId": "listMembers",
                                            "parameters": {"cursor": "$response.body#/next_cursor"}}}),
                    **common,
                    "400": _err("A malformed query value, external_id without channel, or a cursor this list "
                                "did not give")}}},
            "/api/v1/metrics/summary": {"get": {
                "operationId": "metricsSummary",
                "summary": "The organisation's current totals and when they were computed",
                "responses": {
                    "200": _json("Totals", {"$ref": "#/components/schemas/Summary"}),
                    **common}}},
            "/api/v1/members/{member_id}": {"get": {
                "operationId": "getMember",
                "summary": "One member",
                "parameters": [{"name": "member_id", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": PATH_VALUE, "maxLength": 100},
                                "description": "The member's public id (id in a member object)"}],
                "responses": {
                    "200": _json("The member", {"$ref": "#/components/schemas/Member"}),
                    "404": _json("No such member in this organisation (or it was merged into another)", {
                        "type": "object", "required": ["error"],
                        "properties": {"error": {"type": "string"},
                                       "merged_into": {"type": ["string", "null"]}}}),
                    **common}}},
            **openapi_segments.paths(common, _json, _err, _query, PATH_VALUE, MAX_LIMIT),
            **openapi_events.paths(common, _json, _err, _query, PATH_VALUE, MAX_LIMIT),
            **openapi_reports.paths(common, _json, _err, _query, PATH_VALUE, MAX_LIMIT),
            "/api/v1/leaders": {
                "get": {
                    "operationId": "listLeaders",
                    "summary": "The organisation's opinion leaders",
                    "responses": {
                        "200": _json("Leaders, active first", {
                            "type": "object", "required": ["leaders"],
                            "properties": {"leaders": {"type": "array",
                                                       "items": {"$ref": "#/components/schemas/Leader"}}}}),
                        **common}},
                "post": {
                    "operationId": "addLeader",
                    "summary": "Make a member a leader (needs the leaders:write scope)",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/LeaderIn"}}}},
                    "responses": {
                        "201": _json("The new leader", {"$ref": "#/components/schemas/Leader"}, links={
                            "ChangeStatus": {"operationId": "changeLeader",
                                             "parameters": {"leader_id": "$response.body#/id"}}}),
                        **common,
                        "400": _err("The body is not a JSON object, or a query value is malformed"),
                        "409": _err("The member is already a leader"),
                        "422": _err("An unknown member, or a value out of range")}}},
            "/api/v1/leaders/{leader_id}": {"patch": {
                "operationId": "changeLeader",
                "summary": "Move a leader in the pipeline, saying why (needs the leaders:write scope)",
                "parameters": [{"name": "leader_id", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": PATH_VALUE, "maxLength": 100},
                                "description": "The leader's id (id in a leader object)"}],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/LeaderPatch"}}}},
                "responses": {
                    "200": _json("The leader", {"$ref": "#/components/schemas/Leader"}),
                    **common,
                    "400": _err("The body is not a JSON object, or a query value is malformed"),
                    "404": _err("No such leader in this organisation"),
                    "422": _err("A value out of range")}}},
            "/api/v1/leaders/candidates": {"get": {
                "operationId": "listLeaderCandidates",
                "summary": "Suggested leaders, best first, each with the reasons (computed nightly)",
                "responses": {
                    "200": _json("Candidates", {
                        "type": "object", "required": ["candidates"],
                        "properties": {"candidates": {"type": "array",
                                                      "items": {"$ref": "#/components/schemas/Candidate"}}}}),
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
                "Segment": openapi_segments.SEGMENT,
                "Event": openapi_events.EVENT,
                "Report": openapi_reports.REPORT,
                "Leader": LEADER,
                "LeaderIn": LEADER_IN,
                "LeaderPatch": LEADER_PATCH,
                "Candidate": CANDIDATE,
                "Error": ERROR,
                "IngestResult": {"type": "object", "required": ["accepted", "duplicates", "errors"], "properties": {
                    "accepted": {"type": "integer"}, "duplicates": {"type": "integer"},
                    "errors": {"type": "array", "items": {"type": "object", "required": ["index", "error"],
                                                          "properties": {"index": {"type": "integer"},
                                                                         "error": {"type": "string"}}}}}},
            },
        },
    }
