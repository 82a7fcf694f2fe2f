"""The events part of the OpenAPI document (web/api/openapi.py puts it in)."""
from __future__ import annotations

from tenants.events.batches import API_STATUSES, MAX_ITEMS
from tenants.events.events import MAX_CAPACITY, MAX_TAG, MAX_TAGS
from tenants.events.models import EVENT_FORMATS
from tenants.events.paging import WHEN

MOMENT = {"type": "string", "format": "date-time",
          "description": "ISO 8601; without an offset it is a local time in the event's time zone"}
COUNT = {"type": "integer", "minimum": 0}
RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
EVENT = {
    "type": "object",
    "required": ["id", "title", "format", "starts_at", "ends_at", "timezone", "capacity", "registered", "waitlisted",
                 "cancelled", "attended", "walk_ins", "no_shows", "no_show_rate", "survey_responses", "nps"],
    "properties": {
        "id": {"type": "string", "description": "the event's public id"},
        "title": {"type": "string"}, "description": {"type": "string"},
        "format": {"type": "string", "enum": list(EVENT_FORMATS)},
        "starts_at": {"type": "string", "format": "date-time", "description": "UTC"},
        "ends_at": {"type": "string", "format": "date-time", "description": "UTC"},
        "timezone": {"type": "string", "description": "IANA time zone where the event happens"},
        "location": {"type": "string"}, "url": {"type": "string"},
        "capacity": {"type": ["integer", "null"], "description": "null: no limit"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "promote_waitlist": {"type": "boolean"},
        "source_id": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
        "registered": {**COUNT, "description": "Registrations not cancelled and not waitlisted, walk-ins excluded"},
        "waitlisted": COUNT, "cancelled": COUNT,
        "attended": {**COUNT, "description": "Checked in, walk-ins included"},
        "walk_ins": {**COUNT, "description": "Checked in without a registration"},
        "no_shows": {**COUNT, "description": "Registered, not checked in, once the event has begun (0 before it)"},
        "no_show_rate": {**RATE, "description":
                         "no_shows / registered; null before the event or without registrations"},
        "survey_sent": COUNT, "survey_responses": COUNT,
        "response_rate": {**RATE, "description": "survey_responses / survey_sent"},
        "promoters": COUNT, "detractors": COUNT,
        "nps": {"type": ["integer", "null"], "minimum": -100, "maximum": 100,
                "description": "Promoters minus detractors in percent of answers; null without answers"},
    },
}
EVENT_IN = {
    "type": "object", "required": ["title", "starts_at", "ends_at"], "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": "string", "maxLength": 10_000},
        "starts_at": MOMENT, "ends_at": {**MOMENT, "description": "Not before starts_at, at most 31 days after"},
        "timezone": {"type": "string", "default": "UTC", "examples": ["Europe/Moscow"]},
        "format": {"type": "string", "enum": list(EVENT_FORMATS), "default": "offline"},
        "capacity": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_CAPACITY,
                     "description": "Past it registrations are waitlisted; null: no limit"},
        "location": {"type": "string", "maxLength": 300},
        "url": {"type": "string", "maxLength": 500, "pattern": "^https?://"},
        "tags": {"type": "array", "maxItems": MAX_TAGS, "items": {"type": "string", "maxLength": MAX_TAG}},
        "promote_waitlist": {"type": "boolean", "default": True,
                             "description": "When a place frees, the first on the waitlist takes it"},
        "source_id": {"type": "string", "maxLength": 200,
                      "description": "Your id of the event: sending it again returns the same event (200)"},
    },
}
REGISTRATION_IN = {
    "type": "object", "required": ["member"], "additionalProperties": False,
    "properties": {
        "member": {"$ref": "#/components/schemas/Identity"},
        "status": {"type": "string", "enum": list(API_STATUSES),
                   "description": "waitlisted puts them on the waitlist; otherwise capacity decides"},
        "registered_at": {"type": "string", "format": "date-time",
                          "description": "With a time zone; from 2000 on, not in the future (now when absent)"},
        "source_id": {"type": "string", "minLength": 1, "maxLength": 200,
                      "description": "Your id of the registration: sent again, it counts as a duplicate"},
    },
}
CHECKIN_IN = {
    "type": "object", "additionalProperties": False,
    "description": "Either member or ticket",
    "properties": {
        "member": {"$ref": "#/components/schemas/Identity"},
        "ticket": {"type": "string", "minLength": 1, "maxLength": 64, "description": "The registration's ticket"},
        "at": {"type": "string", "format": "date-time", "description": "When this one came in (overrides at)"},
    },
}


def _result(walk_ins: bool) -> dict:
    props = {"accepted": {"type": "integer"}, "duplicates": {"type": "integer"},
             "errors": {"type": "array", "items": {"type": "object", "required": ["index", "error"],
                                                   "properties": {"index": {"type": "integer"},
                                                                  "error": {"type": "string"}}}}}
    if walk_ins:
        props["walk_ins"] = {"type": "integer", "description": "Of accepted: checked in without a registration"}
    return {"type": "object", "required": list(props), "properties": props}


def paths(common: dict, json, err, query, path_value: str, max_limit: int) -> dict:
    event_id = {"name": "event_id", "in": "path", "required": True,
                "schema": {"type": "string", "pattern": path_value, "maxLength": 100},
                "description": "The event's id (id in an event object)"}
    one = {"$ref": "#/components/schemas/Event"}
    refused = json("A value that does not fit, and the field it is in", {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "string"}, "field": {"type": "string"}}})
    batch_note = ("Every item is checked; valid items are applied even when others fail (each failure in "
                  "`errors` with its index), in one transaction. Unknown members are created from their identity.")
    return {
        "/api/v1/events": {
            "get": {"operationId": "listEvents", "summary": "The organisation's events with their head counts",
                    "parameters": [query("when", "upcoming (soonest first) or past (latest first); all, latest "
                                                 "first, when absent", type="string", enum=list(WHEN)),
                                   query("limit", type="integer", minimum=1, maximum=max_limit, default=100),
                                   query("cursor", "next_cursor of the previous page")],
                    "responses": {"200": json("A page of events", {
                        "type": "object", "required": ["events", "next_cursor"],
                        "properties": {"events": {"type": "array", "items": one},
                                       "next_cursor": {"type": ["string", "null"]}}}, links={
                        "GetFirstEvent": {"operationId": "getEvent",
                                          "parameters": {"event_id": "$response.body#/events/0/id"}}}),
                        **common, "400": err("A malformed query value or a cursor this list did not give")}},
            "post": {"operationId": "createEvent", "summary": "Create an event (needs events:write)",
                     "description": "Sending a source_id again returns the event created with it (200), unchanged.",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": EVENT_IN}}},
                     "responses": {
                         "201": json("The new event", one, links={
                             "Register": {"operationId": "postRegistrations",
                                          "parameters": {"event_id": "$response.body#/id"}},
                             "CheckIn": {"operationId": "postCheckins",
                                         "parameters": {"event_id": "$response.body#/id"}}}),
                         "200": json("The event sent before with this source_id", one),
                         "422": refused, **common, "400": err("Body is not a JSON object")}}},
        "/api/v1/events/{event_id}": {"get": {
            "operationId": "getEvent", "summary": "One event with its head counts", "parameters": [event_id],
            "responses": {"200": json("The event", one), "404": err("No such event in this organisation"), **common}}},
        "/api/v1/events/{event_id}/registrations": {"post": {
            "operationId": "postRegistrations",
            "summary": f"Register up to {MAX_ITEMS} members (needs events:write)",
            "description": batch_note + " A member already registered (or a source_id sent before) is a duplicate; "
                                        "past capacity a registration is waitlisted.",
            "parameters": [event_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["registrations"],
                "properties": {"registrations": {"type": "array", "maxItems": MAX_ITEMS, "items": REGISTRATION_IN}}}}}},
            "responses": {"200": json("Counts and per-item errors", _result(False), links={
                              "GetEvent": {"operationId": "getEvent",
                                           "parameters": {"event_id": "$request.path.event_id"}}}),
                          "422": json("Every item was refused", _result(False)),
                          "404": err("No such event in this organisation"), **common,
                          "400": err("Body is not {\"registrations\": [...]}"),
                          "413": err(f"More than {MAX_ITEMS} registrations")}}},
        "/api/v1/events/{event_id}/checkins": {"post": {
            "operationId": "postCheckins",
            "summary": f"Check in up to {MAX_ITEMS} members or tickets (needs events:write)",
            "description": batch_note + " accepted counts every new check-in; a member with no registration is a "
                                        "walk-in (registered on the spot, counted in walk_ins too); one already "
                                        "checked in is a duplicate; an unknown ticket is an error.",
            "parameters": [event_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["checkins"],
                "properties": {"checkins": {"type": "array", "maxItems": MAX_ITEMS, "items": CHECKIN_IN},
                               "at": {"type": "string", "format": "date-time",
                                      "description": "When they came in (now when absent); with a time zone"}}}}}},
            "responses": {"200": json("Counts and per-item errors", _result(True)),
                          "422": json("Every item was refused, or at is not a time", {
                              "oneOf": [_result(True), {"$ref": "#/components/schemas/Error"}]}),
                          "404": err("No such event in this organisation"), **common,
                          "400": err("Body is not {\"checkins\": [...]}"),
                          "413": err(f"More than {MAX_ITEMS} check-ins")}}},
    }
