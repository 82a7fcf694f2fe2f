"""The segment pages through their routes: the builder's round trips, the live count against the list and the
CSV, problems beside their condition, static segments, freeze, delete, links that bring a rule."""
from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import quote

from werkzeug.datastructures import MultiDict

from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.segments import service
from tests.support.http import csrf_of, login, post

from .conftest import make

BASE = "/acme/coffee/segments"
LOYAL_OR_ACTIVE = [("name", "Warm"), ("description", "Worth a call"), ("colour", "#059669"), ("kind", "dynamic"),
                   ("rules.match", "any"),
                   ("rules.all[0].field", "stage"), ("rules.all[0].was", "stage"), ("rules.all[0].op", "in"),
                   ("rules.all[0].value", "loyal"), ("rules.all[0].value", "advocate"),
                   ("rules.all[1].match", "all"),
                   ("rules.all[1].all[0].field", "activity"), ("rules.all[1].all[0].was", "activity"),
                   ("rules.all[1].all[0].op", "gte"), ("rules.all[1].all[0].value.count", "1"),
                   ("rules.all[1].all[0].value.within_days", "30"),
                   ("rules.all[1].all[1].field", "channel"), ("rules.all[1].all[1].was", "channel"),
                   ("rules.all[1].all[1].op", "eq"), ("rules.all[1].all[1].value", "email")]


def _post(client, path, pairs, htmx=True):
    """A form post that keeps repeated names (a multi-select's values)."""
    token = csrf_of(client, "/account/")
    headers = {"HX-Request": "true", "X-CSRFToken": token} if htmx else {}
    return client.post(path, data=MultiDict(pairs + ([] if htmx else [("csrf_token", token)])), headers=headers)


def _conditions(html: str) -> list[str]:
    return re.findall(r'class="rule-cond[^"]*" data-path="([^"]+)"', html)


def test_builder_adds_changes_and_removes_conditions_through_the_route(client, world):
    login(client, "m@acme.test")
    one = [("rules.match", "all"), ("rules.all[0].field", "stage"), ("rules.all[0].was", "stage"),
           ("rules.all[0].op", "eq"), ("rules.all[0].value", "loyal")]
    added = _post(client, BASE + "/builder", one + [("edit", "group"), ("at", "rules")])
    assert added.status_code == 200 and added.text.lstrip().startswith('<div id="builder"')
    assert _conditions(added.text) == ["rules.all[0]", "rules.all[1].all[0]"]
    assert 'name="rules.all[1].match"' in added.text and 'value="loyal" selected' in added.text
    changed = _post(client, BASE + "/builder", [("rules.match", "all"), ("rules.all[0].field", "engagement"),
                                                ("rules.all[0].was", "stage"), ("rules.all[0].op", "eq"),
                                                ("rules.all[0].value", "loyal")])
    assert 'name="rules.all[0].op"' in changed.text and '<option value="between" >between</option>' in changed.text
    assert 'type="number" name="rules.all[0].value" value=""' in changed.text
    removed = _post(client, BASE + "/builder", one + [("edit", "remove"), ("at", "rules.all[0]")])
    assert _conditions(removed.text) == [] and "No conditions: everyone matches." in removed.text
    negated = _post(client, BASE + "/builder", one[1:] + [("rules.negate", "on"), ("rules.match", "any")])
    assert _conditions(negated.text) == ["rules.not.any[0]"]


def test_preview_count_equals_the_segment_list_and_its_csv(client, world):
    login(client, "o@acme.test")
    preview = _post(client, BASE + "/preview", LOYAL_OR_ACTIVE)
    assert 'data-testid="preview-count">3 members<' in preview.text        # ann, bob (stage), dan (the rest)
    assert {"Ann", "Bob", "Dan"} == set(re.findall(r'/members/[\w-]+">(\w+)</a>', preview.text))
    saved = _post(client, BASE + "/new", LOYAL_OR_ACTIVE, htmx=False)
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"])
    assert page.status_code == 200 and "Warm" in page.text and "version 1" in page.text
    assert page.text.count('data-testid="segment-member"') == 3
    assert 'data-testid="segment-size">3<' in page.text
    sid = saved.headers["Location"].rstrip("/").split("/")[-1]
    exported = _post(client, f"{BASE}/{sid}/bulk", [("scope", "all"), ("action", "export")], htmx=False)
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert len(rows) - 1 == 3 and {r[1] for r in rows[1:]} == {"Ann", "Bob", "Dan"}
    listed = client.get(BASE + "/")
    assert "Warm" in listed.text and re.search(r'data-testid="segment-size">3<', listed.text)


def test_a_bad_condition_answers_422_with_the_message_beside_it(client, world):
    login(client, "o@acme.test")
    bad = LOYAL_OR_ACTIVE[:-1] + [("rules.all[1].all[1].value", "")] + [
        ("rules.all[2].field", "engagement"), ("rules.all[2].was", "engagement"), ("rules.all[2].op", "gte"),
        ("rules.all[2].value", "lots")]
    response = _post(client, BASE + "/new", bad, htmx=False)
    assert response.status_code == 422
    blocks = dict(re.findall(r'data-path="(rules[^"]*)" data-testid="condition">(.*?)</div>\n', response.text, re.S))
    assert "enter a number" in blocks["rules.any[2]"]       # the group says any: the paths say so too
    assert "choose one of the listed values" in blocks["rules.any[1].all[1]"]
    assert "rule-problem" not in blocks["rules.any[0]"]
    assert 'value="Warm"' in response.text          # the form comes back as it was sent
    nameless = _post(client, BASE + "/new", [("name", " "), ("kind", "static")], htmx=False)
    assert nameless.status_code == 422 and "Give the segment a name" in nameless.text
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        assert service.of_org(s, world.org.id) == []


def test_a_link_brings_a_rule_or_a_copy_and_a_bad_one_shows_its_problems(client, world):
    login(client, "o@acme.test")
    rule = {"all": [{"field": "tag", "op": "eq", "value": "vip"}, {"not": {"field": "stage", "op": "eq",
                                                                         "value": "active"}}]}
    page = client.get(BASE + "/new?rules=" + quote(json.dumps(rule)))
    assert page.status_code == 200
    assert _conditions(page.text) == ["rules.all[0]", "rules.all[1].not.all[0]"] and 'value="vip"' in page.text
    for raw in ("{not json", "[]", json.dumps({"all": [{"field": "nope", "op": "eq"}]}), '"x"', "1e999",
                json.dumps({"all": [{"field": "engagement", "op": "gte", "value": "x"}]})):
        page = client.get(BASE + "/new?rules=" + quote(raw))
        assert page.status_code == 200 and 'data-testid="problem"' in page.text, raw
    long = {"all": [{"field": "tag", "op": "ne", "value": f"tag-{i:02d}"} for i in range(30)]}
    assert len(json.dumps(long)) > 1000
    page = client.get(BASE + "/new?rules=" + quote(json.dumps(long)))
    assert page.status_code == 200 and len(_conditions(page.text)) == 30
    assert client.get(BASE + "/new?rules=" + "x" * 16_001).status_code == 400
    sid = make(world, {"name": "Vip", "kind": "dynamic", "rules": rule})
    copy = client.get(f"{BASE}/new?from={sid}")
    assert "Copy of Vip" in copy.text and _conditions(copy.text) == ["rules.all[0]", "rules.all[1].not.all[0]"]


def test_edit_makes_a_new_version_and_keeps_a_starters_text(client, world):
    from tenants.segments import starters
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        starters.add(s, world.org.id)
        s.commit()
        advocates = next(x for x in service.of_org(s, world.org.id) if x.starter == "advocates")
    login(client, "o@acme.test")
    client.post("/lang", data={"lang": "ru", "next": "/", "csrf_token": _token(client)})
    listed = client.get(BASE + "/")
    assert "Амбассадоры" in listed.text and "Advocates" not in listed.text
    form = client.get(f"{BASE}/{advocates.public_id}/edit").text
    assert 'value="Амбассадоры"' in form
    response = _post(client, f"{BASE}/{advocates.public_id}/edit", [
        ("name", "Амбассадоры"), ("description", _value(form, "description")), ("colour", "#7c3aed"),
        ("kind", "dynamic"), ("rules.match", "all"), ("rules.all[0].field", "stage"), ("rules.all[0].was", "stage"),
        ("rules.all[0].op", "in"), ("rules.all[0].value", "advocate"), ("rules.all[0].value", "loyal")], htmx=False)
    assert response.status_code == 302
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        again = service.by_public_id(s, world.org.id, advocates.public_id)
        assert (again.name, again.version) == ("Advocates", 2)
        assert again.description == starters.STARTERS["advocates"][1]


def _token(client):
    return csrf_of(client, "/account/")


def _value(html: str, name: str) -> str:
    found = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    import html as h
    return h.unescape(found.group(1))


def test_static_segment_add_remove_and_freeze(client, world):
    login(client, "o@acme.test")
    static = make(world, {"name": "Hand-picked", "kind": "static"})
    loyal = make(world, {"name": "Loyal", "kind": "dynamic",
                         "rules": {"all": [{"field": "stage", "op": "in", "value": ["loyal", "advocate"]}]}})
    page = client.get(f"{BASE}/{loyal}")
    ids = re.findall(r'name="ids" value="([\w-]+)"', page.text)
    assert len(ids) == 2
    added = _post(client, f"{BASE}/{loyal}/bulk", [("action", "add_to"), ("target", static), ("ids", ids[0])])
    assert "1 members added to Hand-picked." in added.text
    assert client.get(f"{BASE}/{static}").text.count('data-testid="segment-member"') == 1
    removed = _post(client, f"{BASE}/{static}/bulk", [("action", "remove"), ("scope", "all")])
    assert "1 members removed" in removed.text and 'data-testid="segment-member"' not in removed.text
    refused = _post(client, f"{BASE}/{loyal}/bulk", [("action", "remove"), ("scope", "all")])
    assert refused.status_code == 422
    tagged = _post(client, f"{BASE}/{loyal}/bulk", [("action", "tag"), ("tag", "warm"), ("scope", "all")])
    assert "2 members tagged." in tagged.text
    frozen = post(client, f"{BASE}/{loyal}/freeze")
    assert frozen.status_code == 302
    page = client.get(frozen.headers["Location"])
    assert page.text.count('data-testid="segment-member"') == 2 and "static" in page.text
    assert 'data-testid="freeze"' not in page.text


def test_delete_is_refused_while_another_segments_rule_uses_it(client, world):
    login(client, "o@acme.test")
    base = make(world, {"name": "Base", "kind": "static"})
    user = make(world, {"name": "Uses base", "kind": "dynamic",
                        "rules": {"all": [{"field": "segment", "op": "in", "value": [base]}]}})
    refused = post(client, f"{BASE}/{base}/delete")
    assert refused.status_code == 302
    assert "used by the segments “Uses base”" in client.get(refused.headers["Location"]).text
    assert post(client, f"{BASE}/{user}/delete").status_code == 302
    assert post(client, f"{BASE}/{base}/delete").status_code == 302
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        assert service.of_org(s, world.org.id) == []


def test_the_page_shows_trend_moves_and_figures(client, world):
    from datetime import timedelta

    from tenants.segments import snapshot
    from tests.support.segments import NOW
    sid = make(world, {"name": "Active", "kind": "dynamic",
                       "rules": {"all": [{"field": "last_active", "op": "within_days", "value": 7}]}})
    login(client, "c@acme.test")
    assert "No history yet" in client.get(f"{BASE}/{sid}").text
    today = NOW.date()
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        segment = service.by_public_id(s, world.org.id, sid)
        snapshot.snapshot(s, segment, today - timedelta(days=1))
        service.update_segment(s, segment, {"rules": {"all": [
            {"field": "last_active", "op": "within_days", "value": 7},
            {"field": "stage", "op": "ne", "value": "newcomer"}]}}, service.Actor(email="t"))
        snapshot.snapshot(s, segment, today)
        s.commit()
    page = client.get(f"{BASE}/{sid}").text
    assert 'data-chart="segment-trend"' in page and "version 2" in page
    moves = re.findall(r'data-testid="move">(.*?)</li>', page, re.S)
    assert len(moves) == 1 and "Dan" in moves[0] and "left" in moves[0]
    assert "Loyalty stage is not Newcomer" in moves[0]
    assert "Last active in the last 7 days" in page and "All of:" in page
    assert 'data-testid="segment-size">2<' in page          # ann and cat


def test_the_list_shows_each_segments_change_over_seven_days(client, world):
    from datetime import timedelta

    from tenants.segments import snapshot
    from tests.support.segments import NOW
    sid = make(world, {"name": "Top", "kind": "dynamic",
                       "rules": {"all": [{"field": "stage", "op": "in", "value": ["loyal", "advocate"]}]}})
    make(world, {"name": "New", "kind": "static"})
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        segment = service.by_public_id(s, world.org.id, sid)
        snapshot.snapshot(s, segment, NOW.date() - timedelta(days=8))
        snapshot.snapshot(s, segment, NOW.date() - timedelta(days=3))        # too recent to compare with
        service.update_segment(s, segment, {"rules": {"all": [{"field": "stage", "op": "eq", "value": "advocate"}]}},
                               service.Actor(email="t"))
        s.commit()
    login(client, "o@acme.test")
    rows = re.findall(r'data-testid="segment-row">(.*?)</tr>', client.get(BASE + "/").text, re.S)
    assert len(rows) == 2
    new, top = rows
    assert 'class="down">−1<' in top and 'data-testid="segment-size">1<' in top
    assert '<span class="muted">—</span>' in new
