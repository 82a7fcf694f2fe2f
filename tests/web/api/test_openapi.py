"""The API answers as its OpenAPI document says. Schemathesis generates the requests from the document
(valid and invalid ones) and checks status codes, content types and response bodies against it."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.support import factories
from tests.support.api import auth, make_key


def test_api_conforms_to_its_openapi_document(app):
    a = factories.agency("Acme", "o@acme.test")
    key = make_key(a, factories.org(a, "One"))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} == {"POST /api/v1/activities", "GET /api/v1/members",
                                               "GET /api/v1/members/{member_id}", "GET /api/v1/metrics/summary",
                                               "GET /api/v1/leaders", "POST /api/v1/leaders",
                                               "PATCH /api/v1/leaders/{leader_id}", "GET /api/v1/leaders/candidates"}
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            # Everything is checked but "schema-valid data is accepted": dates from 2000 on and not in the
            # future are rules JSON Schema cannot state, and such batches are documented to answer 422.
            case.call_and_validate(headers=auth(key), excluded_checks=[positive_data_acceptance])
        check()


def test_openapi_document_lists_every_api_route(app, client):
    documented = set(client.get("/api/v1/openapi.json").json["paths"])
    routed = {r.rule.replace("<member_id>", "{member_id}").replace("<leader_id>", "{leader_id}")
              for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/v1/") and r.endpoint != "api.openapi"}
    assert routed == documented
