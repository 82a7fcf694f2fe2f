"""Who reaches which report route: staff of the organisation everything, its client the published reports read-
only, and another organisation's manager and client and another agency's owner nothing (404 on every route and
file). The API answers published reports of the key's organisation only."""
from __future__ import annotations

import pytest

from tests.support import reports as R
from tests.support.api import auth, make_key
from tests.support.http import csrf_of, login

BASE = "/acme/coffee/reports"


def _routes(rid: str, link_id: str, job_id: str) -> tuple[list[str], list[str], list[tuple[str, dict]]]:
    reads = [f"{BASE}/", f"{BASE}/{rid}", f"{BASE}/{rid}/pdf"]
    staff_reads = [f"{BASE}/jobs/{job_id}"]
    posts = [(f"{BASE}/generate", {"month": "2026-05"}), (f"{BASE}/segments", {}),
             (f"{BASE}/{rid}/notes", {"work_done": "x"}), (f"{BASE}/{rid}/approve", {}),
             (f"{BASE}/{rid}/publish", {}), (f"{BASE}/{rid}/links", {}),
             (f"{BASE}/{rid}/links/{link_id}/revoke", {})]
    return reads, staff_reads, posts


def _setup(w) -> tuple[str, str, str]:
    rid = R.report(w.a, w.o, status="published")
    R.share(w.a, w.o, rid)
    link_id = R.sql(w.a, w.o, "SELECT public_id FROM share_link")[0][0]
    job_id = R.sql(w.a, w.o, "INSERT INTO job_run (agency_id, org_id, public_id, kind, status, progress, params, "
                   "created_at) VALUES (:a, :o, 'reportjob1', 'report_generate', 'queued', 0, '{}', now()) "
                   "RETURNING public_id", a=w.a.id, o=w.o.id)[0][0]
    return rid, link_id, job_id


def _state(w) -> list:
    return R.sql(w.a, w.o, "SELECT public_id, status, version, notes::text, (SELECT count(*) FROM share_link "
                 "WHERE revoked_at IS NULL) FROM report ORDER BY id")


@pytest.mark.parametrize("email", ["o@beta.test", "m2@acme.test", "c2@acme.test"])
def test_outsiders_get_404_on_every_route_and_file(client, world, email):
    rid, link_id, job_id = _setup(world)
    before = _state(world)
    login(client, email)
    reads, staff_reads, posts = _routes(rid, link_id, job_id)
    for url in reads + staff_reads:
        assert client.get(url).status_code == 404, url
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 404, url
    token = csrf_of(client, "/account/")
    for url, data in posts:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404, url
    assert _state(world) == before


def test_the_client_reads_and_changes_nothing(client, world):
    rid, link_id, job_id = _setup(world)
    before = _state(world)
    login(client, "c@acme.test")
    reads, staff_reads, posts = _routes(rid, link_id, job_id)
    for url in reads:
        assert client.get(url).status_code == 200, url
    for url in staff_reads:
        assert client.get(url).status_code == 404, url
    token = csrf_of(client, "/account/")
    for url, data in posts:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404, url
    assert _state(world) == before


def test_staff_reach_every_route(client, world):
    rid, link_id, job_id = _setup(world)
    login(client, "m@acme.test")
    reads, staff_reads, _posts = _routes(rid, link_id, job_id)
    for url in reads + staff_reads:
        assert client.get(url).status_code == 200, url


def test_a_report_of_another_organisation_is_not_found(client, world):
    other = R.report(world.a, world.tea, status="published")
    login(client, "m@acme.test")
    assert client.get(f"{BASE}/{other}").status_code == 404
    assert client.get(f"{BASE}/{other}/pdf").status_code == 404
    assert client.get(f"/acme/tea/reports/{other}").status_code == 404


def test_api_lists_published_reports_of_the_keys_organisation(client, world):
    draft = R.report(world.a, world.o)
    published = R.report(world.a, world.o, status="published")
    R.report(world.a, world.tea, status="published")
    key = make_key(world.a, world.o)
    body = client.get("/api/v1/reports", headers=auth(key)).get_json()
    assert [r["id"] for r in body["reports"]] == [published]
    one = client.get(f"/api/v1/reports/{published}", headers=auth(key)).get_json()
    figures = R.get(world.a, world.o, published).figures
    assert one == {"id": published, "period": {"start": "2026-05-01", "end": "2026-05-31"}, "version": 2,
                   "status": "published", "figures": figures}
    assert one["figures"]["members"] == 5
    assert client.get(f"/api/v1/reports/{draft}", headers=auth(key)).status_code == 404
    tea_key = make_key(world.a, world.tea)
    assert client.get(f"/api/v1/reports/{published}", headers=auth(tea_key)).status_code == 404
    assert client.get("/api/v1/reports").status_code == 401
    no_read = make_key(world.a, world.o, scopes=("activities:write",))
    assert client.get("/api/v1/reports", headers=auth(no_read)).status_code == 403


def test_odd_path_and_query_values_answer_4xx_never_500(client, world):
    from tests.support import fuzz
    rid, link_id, job_id = _setup(world)
    token = R.share(world.a, world.o, rid)
    login(client, "m@acme.test")
    for value in fuzz.ODD:
        odd = fuzz.encode(value)
        for path in (f"{BASE}/{odd}", f"{BASE}/{odd}/pdf", f"{BASE}/jobs/{odd}", f"/r/{odd}", f"/r/{odd}.pdf",
                     f"{BASE}/?{fuzz.query([('x', value)])}", f"/r/{token}?{fuzz.query([('lang', value)])}"):
            status = client.get(path).status_code
            assert status < 500 and (status == 200 or status >= 400), (path, status)
