"""Hypothesis over the query string and path values of every page and API read (GET) in the URL map, signed
in as the owner of an organisation with members: odd values answer 400 or 404 (the app's error page, JSON on
the API), never 500, and every page still works afterwards.

Routes come from the URL map, so a new page is fuzzed without anyone remembering: a route with a path
argument this test cannot fill fails it until a value is added to `_paths`."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import fuzz
from tests.support.api import auth, make_key
from tests.support.http import login

# Static files are werkzeug's, not ours.
SKIP = {"static"}
ERROR_PAGE = re.compile(r'<p class="error-code">(\d{3})</p>')


@pytest.fixture
def world(client):
    a, o, member_id = fuzz.organisation()
    login(client, "o@acme.test")
    from tests.support.factories import person
    user = person(a, "x@acme.test", "manager", [o.id])
    from tenants.core.audit import Actor
    from tenants.core.context import tenant_scope
    from tenants.core.db import job_session
    from tenants.segments import service
    with tenant_scope(a.id, o.id), job_session() as s:
        segment_id = service.create(s, o.id, {"name": "Fuzz", "kind": "dynamic",
                                              "rules": {"all": [{"field": "stage", "op": "eq", "value": "loyal"}]}},
                                    Actor(email="t")).public_id
        import io

        from PIL import Image

        from tenants.agency import branding
        logo = io.BytesIO()
        Image.new("RGB", (2, 2)).save(logo, "PNG")
        branding.set_logo(s, None, logo.getvalue(), Actor(email="t"))      # the agency's logo route serves it
        s.commit()
    report_id = fuzz.published_report(a, o)
    from tests.support.events import event
    from tests.support.goals import goal
    return {"segment_id": segment_id, "event_id": event(a, o), "goal_id": goal(a, o), "agency_slug": a.slug,
            "org_slug": o.slug,
            "member_id": member_id,
            "user_id": user.public_id,
            "token": "not-a-token", "job_id": "no-such-job", "upload_id": "no-such-upload",
            "leader_id": "no-such-leader", "key": make_key(a, o), "report_id": report_id, "link_id": "no-such-link"}


def _paths(app, world) -> list[tuple[str, str, dict]]:
    """(endpoint, rule, path arguments) of every GET route."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP:
            continue
        unknown = rule.arguments - world.keys()
        assert not unknown, f"the page fuzz does not know how to fill {unknown} for {rule.rule}: add it"
        found.append((rule.endpoint, rule.rule, {k: world[k] for k in rule.arguments}))
    return found


def _build(rule: str, args: dict) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: fuzz.encode(args[m.group(1)]), rule)


def _check(response, path: str) -> None:
    status = response.status_code
    assert status < 500, (path, status)
    if path.startswith("/api/"):
        assert response.mimetype == "application/json", (path, status, response.mimetype)
        if status >= 400:
            assert isinstance(response.json.get("error"), str), (path, response.json)
    elif status in (400, 404) and response.mimetype == "text/html":
        match = ERROR_PAGE.search(response.get_data(as_text=True))
        # The app's error page, or a page's own "not found" (an expired reset or invitation link).
        assert match is None or int(match.group(1)) == status, (path, status)


def test_every_page_answers_odd_query_and_path_values_without_500(app, client, world):
    routes = _paths(app, world)
    assert {"members.index", "members.show", "org.overview", "audit.index", "api.list_members",
            "api.get_member"} <= {endpoint for endpoint, _r, _a in routes}        # discovery works
    headers = auth(world["key"])

    @given(route=st.sampled_from(routes),
           pairs=st.lists(st.tuples(fuzz.names, fuzz.values), max_size=4),
           repeated=st.booleans(), mangle=st.one_of(st.none(), fuzz.values), htmx=st.booleans())
    @settings(max_examples=200, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def probe(route, pairs, repeated, mangle, htmx):
        _endpoint, rule, args = route
        if mangle is not None and args:
            args = {**args, sorted(args)[-1]: mangle}                # one path value replaced by an odd one
        if repeated and pairs:
            pairs = pairs + [(pairs[0][0], "7")]                     # the same parameter twice
        path = _build(rule, args)
        url = path + ("?" + fuzz.query(pairs) if pairs else "")
        response = client.get(url, headers={**headers, **({"HX-Request": "true"} if htmx else {})})
        _check(response, path)

    probe()
    # Afterwards every page still works for its owner, and the API for its key.
    for endpoint, rule, args in routes:
        response = client.get(_build(rule, args), headers=headers)
        if args.keys() <= {"agency_slug", "org_slug", "member_id", "user_id", "segment_id"}:
            assert response.status_code in (200, 302), (endpoint, response.status_code)


def test_each_odd_value_in_every_parameter_of_the_reading_pages(client, world):
    """Every listed value, deterministically, in every parameter at once on the pages and the API read that take
    the most (where Hypothesis only samples), and as the cursor of each sort order of the member list."""
    base = f"/{world['agency_slug']}/{world['org_slug']}"
    headers = auth(world["key"])
    paths = (base + "/", base + "/members/", base + "/segments/new", f"{base}/segments/{world['segment_id']}",
             f"{base}/members/{world['member_id']}", f"/{world['agency_slug']}/audit/",
             f"{base}/goals/new", f"{base}/goals/kpi", "/api/v1/members")
    for value in fuzz.ODD:
        for path in paths:
            _check(client.get(f"{path}?{fuzz.query([(name, value) for name in fuzz.NAMES])}", headers=headers), path)
        for sort in ("name", "score", "activity", "influence"):
            _check(client.get(f"{base}/members/?sort={sort}&{fuzz.query([('cursor', value)])}"), base)
