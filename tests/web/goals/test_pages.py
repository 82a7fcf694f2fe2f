"""The goal pages for staff: the list grouped by status, the form from a template (htmx fragment), "add a target",
validation beside the field, the goal page with its chart data and points, closing a missed goal, delete; every
change audited."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape

from sqlalchemy import select

from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.core.models import AuditLog
from tenants.goals.models import Goal
from tests.support.goals import goal
from tests.support.http import login, post

BASE = "/acme/coffee/goals"
TODAY = utcnow().date()


def _goals(w) -> list[Goal]:
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        found = list(s.scalars(select(Goal).order_by(Goal.id)))
        s.expunge_all()
        return found


def _actions(w) -> list[str]:
    with tenant_scope(w.a.id), job_session() as s:
        return [e.action for e in s.scalars(select(AuditLog).order_by(AuditLog.id)) if e.action.startswith("goal_")]


def _form(**over) -> dict:
    return {"title": "More newcomers", "kpi": "new", "category": "awareness", "direction": "1",
            "start_date": (TODAY - timedelta(days=30)).isoformat(), "target_value": "10",
            "target_due": (TODAY + timedelta(days=60)).isoformat(), **over}


def test_the_list_groups_goals_by_status_with_progress_and_the_sidebar_links_it(client, world):
    goal(world.a, world.o, "Fast", target="3")            # baseline 1, now 3: reached
    goal(world.a, world.o, "Slow", target="500")
    login(client, "m@acme.test")
    assert 'data-testid="nav-goals"' in client.get("/acme/coffee/").text
    page = client.get(BASE + "/").text
    on_track = page.index('data-testid="goal-group-on_track"')
    behind = page.index('data-testid="goal-group-behind"')
    assert behind < page.index("Slow") < on_track < page.index("Fast")
    assert 'data-testid="new-goal"' in page and "<progress" in page and "Person" not in page


def test_a_template_fills_the_form_as_an_htmx_fragment(client, world):
    login(client, "m@acme.test")
    full = client.get(BASE + "/new")
    assert full.status_code == 200 and 'data-testid="template-keep_loyal"' in full.text
    part = client.get(BASE + "/new?template=keep_loyal", headers={"HX-Request": "true", "HX-Target": "goal-form"})
    assert part.status_code == 200 and part.text.lstrip().startswith("<form")
    assert '<option value="at_risk_share" selected>' in part.text
    assert 'value="-1" checked' in part.text and "loyalty" in part.text
    kpi = client.get(BASE + "/kpi?kpi=new", headers={"HX-Request": "true"})
    assert 'id="kpi-now"' in kpi.text and "today: 3" in kpi.text


def test_add_a_target_keeps_what_was_typed_and_saves_nothing(client, world):
    login(client, "m@acme.test")
    r = post(client, BASE + "/new", {**_form(), "add_target": "1"}, htmx=True, headers={"HX-Target": "goal-form"})
    assert r.status_code == 200 and r.text.count('data-testid="target-row"') == 2
    assert 'value="More newcomers"' in r.text and _goals(world) == []


def test_bad_input_is_shown_beside_its_field_with_422_and_nothing_saved(client, world):
    login(client, "m@acme.test")
    for over, field in (({"title": ""}, "title"), ({"target_value": "lots"}, "targets"),
                        ({"kpi": "segment_size"}, "segment"), ({"start_date": "2020-13-01"}, "start_date"),
                        ({"target_value": "0"}, "targets")):
        r = post(client, BASE + "/new", _form(**over))
        assert r.status_code == 422, over
        assert f'data-testid="error-{field}"' in r.text, over
    assert _goals(world) == [] and _actions(world) == []


def test_create_see_edit_close_reopen_and_delete_are_audited(client, world):
    login(client, "m@acme.test")
    r = post(client, BASE + "/new", _form(target_due=(TODAY + timedelta(days=60)).isoformat()))
    assert r.status_code == 302
    (g,) = _goals(world)
    assert g.baseline == 1 and g.owner_id is None
    page = client.get(f"{BASE}/{g.public_id}").text
    data = json.loads(unescape(re.search(r"data-goal='([^']*)'", page).group(1)))
    assert data["labels"][0] == (TODAY - timedelta(days=30)).isoformat()
    assert data["current"][30] == 3 and data["target"][0] == 1 and data["text"]["projection"] == "projection"
    assert page.count('data-testid="goal-point"') == 31
    r = post(client, f"{BASE}/{g.public_id}/edit", _form(title="Even more newcomers", owner=world.manager.public_id,
                                                         target_due=(TODAY - timedelta(days=1)).isoformat()))
    assert r.status_code == 302
    r = post(client, f"{BASE}/{g.public_id}/close", {"note": ""}, htmx=True)
    assert r.status_code == 422 and 'data-testid="error-note"' in r.text and 'id="close"' in r.text
    assert post(client, f"{BASE}/{g.public_id}/close", {"note": "A slow month: we start a referral drive."}
                ).status_code == 302
    assert "A slow month" in client.get(f"{BASE}/{g.public_id}").text
    assert post(client, f"{BASE}/{g.public_id}/reopen").status_code == 302
    assert post(client, f"{BASE}/{g.public_id}/delete", htmx=True).headers["HX-Redirect"] == BASE + "/"
    assert _goals(world) == []
    assert _actions(world) == ["goal_created", "goal_changed", "goal_targets_changed", "goal_closed",
                               "goal_reopened", "goal_deleted"]


def test_the_audit_log_names_goal_changes(client, world):
    goal(world.a, world.o)
    login(client, "o@acme.test")
    assert "Goal created" in client.get("/acme/audit/").text
