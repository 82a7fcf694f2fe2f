"""Schemathesis against the OpenAPI document the app serves, with a real API key: schema-valid and
negative data for every operation, and stateful runs along the document's links (post activities → find the
member → read it → next page). Asserted: no 500, JSON errors on every 4xx, responses that conform to the
document, nothing stored for a refused request, and the organisation's scoring still succeeding afterwards."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from sqlalchemy import func, select

from tenants import scoring
from tenants.community.models import Activity, Identity, Member, ScorePending
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support import fuzz
from tests.support.api import auth, make_key

OPERATIONS = {"POST /api/v1/activities", "GET /api/v1/members", "GET /api/v1/members/{member_id}",
              "GET /api/v1/metrics/summary", "GET /api/v1/leaders", "POST /api/v1/leaders",
              "PATCH /api/v1/leaders/{leader_id}", "GET /api/v1/leaders/candidates"}
# "Schema-valid data is accepted" cannot hold: dates from 2000 on and not in the future are rules JSON Schema
# cannot state, and a batch of such items is documented to answer 422. "Negative data is rejected" cannot
# hold for the POST either: a batch whose other items are valid stores those and answers 200 with the invalid
# ones listed (documented); what it stores is checked below instead.
EXCLUDED = [positive_data_acceptance]
RUN = settings(max_examples=40, deadline=None, derandomize=True, database=None,
               suppress_health_check=list(HealthCheck))


def json_errors(ctx, response, case):
    """Every 4xx of the API is JSON: {"error": "..."}, or the per-item errors of a batch with no valid item."""
    if 400 <= response.status_code < 500:
        content_type = (response.headers.get("content-type") or [""])[0]
        assert content_type.startswith("application/json"), f"{response.status_code} answered {content_type}"
        body = response.json()
        assert isinstance(body.get("error"), str) or (response.status_code == 422 and "errors" in body), body


def _rows() -> tuple[int, int, int]:
    with system_scope() as s:
        return tuple(s.scalar(select(func.count()).select_from(model)) for model in (Activity, Member, Identity))


def _stored_only_what_was_accepted(before, response) -> None:
    """A refused request stores nothing; an answered batch stores exactly the activities it reports."""
    activities, members, identities = (after - was for after, was in zip(_rows(), before, strict=True))
    body = response.json() if response.status_code in (200, 422) else {}
    assert activities == body.get("accepted", 0), (response.status_code, response.text[:300])
    if not body.get("accepted"):
        assert (members, identities) == (0, 0), ("a refused batch created members", response.text[:300])


def _scoring_still_succeeds(a, o) -> None:
    """The incremental scoring drains what ingest queued, and a full recompute finishes."""
    with tenant_scope(a.id, o.id), job_session() as s:
        while scoring.incremental(s, o.id).members:
            s.commit()
        s.commit()
        assert s.scalar(select(func.count()).select_from(ScorePending)) == 0
        scoring.full(s, o.id)
        s.commit()


def _schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_every_operation_is_fuzzed_and_documents_its_errors(app):
    operations = [result.ok() for result in _schema(app).get_all_operations()]
    assert {op.label for op in operations} == OPERATIONS
    for op in operations:
        codes = set(op.definition.raw["responses"])
        assert {"400", "401", "403", "429"} <= codes, (op.label, codes)


def _fuzz(operation, mode: GenerationMode, key: str) -> None:
    excluded = EXCLUDED + ([negative_data_rejection] if operation.method == "post" else [])

    @given(case=operation.as_strategy(generation_mode=mode))
    @RUN
    def check(case):
        before = _rows()
        response = case.call_and_validate(headers=auth(key), excluded_checks=excluded,
                                          additional_checks=[json_errors])
        if case.method == "POST":
            _stored_only_what_was_accepted(before, response)
        else:
            assert _rows() == before        # a read writes nothing
    check()


def test_schema_valid_and_negative_requests(app):
    a, o, _member = fuzz.organisation()
    key = make_key(a, o)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for result in _schema(app).get_all_operations():
            _fuzz(result.ok(), mode, key)
    _scoring_still_succeeds(a, o)


def test_stateful_runs_along_the_links(app):
    a, o, _member = fuzz.organisation()
    key = make_key(a, o)

    class Machine(_schema(app).as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": auth(key)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, excluded_checks=EXCLUDED, additional_checks=[json_errors],
                                   headers=auth(key))

    Machine.run(settings=settings(RUN, max_examples=15, stateful_step_count=5))
    _scoring_still_succeeds(a, o)
