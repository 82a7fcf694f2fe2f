"""The segments part of the OpenAPI document (web/api/openapi.py puts it in)."""
from __future__ import annotations

from tenants.segments.fields import REGISTRY

RULE = {
    "description": "A rule: {\"all\": [...]}, {\"any\": [...]} (nested), {\"not\": rule}, or a condition "
                   "{\"field\", \"op\", \"value\"}. Fields: " + ", ".join(REGISTRY) + ", segment, attr.<key>. "
                   "Examples: {\"field\": \"channel\", \"op\": \"eq\", \"value\": \"vk\"}; {\"field\": "
                   "\"activity\", \"op\": \"gte\", \"value\": {\"type\": \"message\", \"count\": 3, "
                   "\"within_days\": 30}}. A rule that names neither audience, staff nor bot counts people only.",
}
SEGMENT = {
    "type": "object",
    "required": ["id", "name", "kind", "rules", "size", "created_at"],
    "properties": {
        "id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
        "colour": {"type": "string"}, "kind": {"type": "string", "enum": ["dynamic", "static"]},
        "rules": {**RULE, "type": ["object", "null"]}, "version": {"type": "integer"},
        "size": {"type": "integer", "description": "Members in it now"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}
SEGMENT_IN = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 120},
        "description": {"type": "string", "maxLength": 2000},
        "colour": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
        "kind": {"type": "string", "enum": ["dynamic", "static"], "default": "dynamic"},
        "rules": {**RULE, "type": "object"},
    },
}
REFUSED = {
    "type": "object", "required": ["error", "path"],
    "properties": {"error": {"type": "string"},
                   "path": {"type": "string", "description": "The bad part, e.g. rules.all[1].op"},
                   "errors": {"type": "array", "items": {"type": "object", "properties": {
                       "path": {"type": "string"}, "error": {"type": "string"}}}}},
}
MEMBER_IDS = {"type": "object", "required": ["member_ids"], "properties": {
    "member_ids": {"type": "array", "maxItems": 10000, "items": {"type": "string", "minLength": 1, "maxLength": 100}}}}


def paths(common: dict, json, err, query, path_value: str, max_limit: int) -> dict:
    segment_id = {"name": "segment_id", "in": "path", "required": True,
                  "schema": {"type": "string", "pattern": path_value, "maxLength": 100}}
    one = {"$ref": "#/components/schemas/Segment"}
    refused = json("A value that does not fit, with the path of the bad part", REFUSED)
    body = {"required": True, "content": {"application/json": {"schema": SEGMENT_IN}}}
    members_page = {"type": "object", "required": ["members", "next_cursor"],
                    "properties": {"members": {"type": "array", "items": {"$ref": "#/components/schemas/Member"}},
                                   "next_cursor": {"type": ["string", "null"]}}}
    return {
        "/api/v1/segments": {
            "get": {"operationId": "listSegments", "summary": "The organisation's segments",
                    "responses": {"200": json("Segments", {"type": "object", "required": ["segments"], "properties": {
                        "segments": {"type": "array", "items": one}}}), **common}},
            "post": {"operationId": "createSegment", "summary": "Create a segment (needs segments:write)",
                     "requestBody": body,
                     "responses": {"201": json("The segment", one), "422": refused, **common,
                                   "400": err("Body is not a JSON object")}}},
        "/api/v1/segments/preview": {"post": {
            "operationId": "previewSegment", "summary": "How many members a rule holds now",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["rules"], "properties": {"rules": {**RULE, "type": "object"}}}}}},
            "responses": {"200": json("The size", {"type": "object", "required": ["size"],
                                                   "properties": {"size": {"type": "integer"}}}),
                          "422": refused, **common, "400": err("Body is not {\"rules\": ...}")}}},
        "/api/v1/segments/{segment_id}": {
            "get": {"operationId": "getSegment", "summary": "One segment", "parameters": [segment_id],
                    "responses": {"200": json("The segment", one), "404": err("No such segment"), **common}},
            "patch": {"operationId": "updateSegment", "summary": "Edit a segment; a new rule is a new version",
                      "parameters": [segment_id], "requestBody": body,
                      "responses": {"200": json("The segment", one), "404": err("No such segment"),
                                    "422": refused, **common, "400": err("Body is not a JSON object")}},
            "delete": {"operationId": "deleteSegment", "summary": "Delete a segment nothing uses",
                       "parameters": [segment_id],
                       "responses": {"204": {"description": "Deleted"}, "404": err("No such segment"),
                                     "409": err("Something uses the segment; the message says what"), **common}}},
        "/api/v1/segments/{segment_id}/members": {
            "get": {"operationId": "listSegmentMembers", "summary": "The segment's members, by name",
                    "parameters": [segment_id,
                                   query("limit", type="integer", minimum=1, maximum=max_limit, default=100),
                                   query("cursor", "next_cursor of the previous page")],
                    "responses": {"200": json("A page of members", members_page), "404": err("No such segment"),
                                  **common, "400": err("A malformed query value or a cursor this list did not give")}},
            "post": {"operationId": "addSegmentMembers", "summary": "Add members to a static segment",
                     "parameters": [segment_id],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": MEMBER_IDS}}},
                     "responses": {"200": json("How many were added", {"type": "object", "required": ["added", "size"],
                                                                       "properties": {"added": {"type": "integer"},
                                                                                      "size": {"type": "integer"}}}),
                                   "404": err("No such segment"), "422": refused, **common,
                                   "400": err("Body is not {\"member_ids\": [...]}")}},
            "delete": {"operationId": "removeSegmentMembers", "summary": "Remove members from a static segment",
                       "parameters": [segment_id],
                       "requestBody": {"required": True, "content": {"application/json": {"schema": MEMBER_IDS}}},
                       "responses": {"200": json("How many were removed", {
                           "type": "object", "required": ["removed", "size"],
                           "properties": {"removed": {"type": "integer"}, "size": {"type": "integer"}}}),
                           "404": err("No such segment"), "422": refused, **common,
                           "400": err("Body is not {\"member_ids\": [...]}")}}},
    }
