"""Goals in real Chromium, in English and in Russian: a manager creates a goal from a template at 1280 px (the
template fills the form through htmx, a target is added, a past start fills the chart at once) and sees its chart;
the list on a 390 px phone is no wider than the screen."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tenants.core.base import utcnow
from tests.support import factories
from tests.support.browser import console_errors, settled, shot, sign_in
from tests.support.goals import community, goal

TEXTS = {"en": {"locale": "en-GB", "goals": "Goals", "title": "More people following along", "status": "On track"},
         "ru": {"locale": "ru-RU", "goals": "Цели", "title": "Больше тех, кто следит за сообществом",
                "status": "По плану"}}


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_goal_from_a_template_and_the_list_on_a_phone(live_server, browser, lang):  # noqa: F811
    t = TEXTS[lang]
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    factories.person(a, "m@acme.test", "manager", [o.id])
    community(a, o)
    goal(a, o, "Slow growth", target="500")
    today = utcnow().date()
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale=t["locale"])
    page = ctx.new_page()
    errors = console_errors(page)
    sign_in(page, live_server)
    if lang == "ru":
        page.goto(live_server + "/acme/coffee/")
        page.click(".sidebar button[value=ru]")
    page.goto(live_server + "/acme/coffee/")
    page.click("[data-testid=nav-goals]")
    expect(page.locator("h1")).to_have_text(t["goals"])
    page.click("[data-testid=new-goal]")
    page.click("[data-testid=template-more_watchers]")
    settled(page)
    expect(page.locator("[data-testid=goal-title]")).to_have_value(t["title"])
    expect(page.locator("[data-testid=goal-kpi]")).to_have_value("active_30d")
    page.fill("[data-testid=goal-start]", (today - timedelta(days=40)).isoformat())
    page.locator("[data-testid=target-value]").first.fill("3")
    page.locator("[data-testid=target-due]").first.fill((today + timedelta(days=20)).isoformat())
    page.click("[data-testid=add-target]")
    settled(page)
    expect(page.locator("[data-testid=target-row]")).to_have_count(2)
    expect(page.locator("[data-testid=goal-title]")).to_have_value(t["title"])
    page.locator("[data-testid=target-value]").nth(1).fill("4")
    page.locator("[data-testid=target-due]").nth(1).fill((today + timedelta(days=110)).isoformat())
    shot(page, f"goals-form-{lang}")
    page.click("[data-testid=save-goal]")
    expect(page.locator("[data-testid=goal-heading]")).to_have_text(t["title"])
    expect(page.locator("[data-testid=goal-point]")).to_have_count(41)
    expect(page.locator("[data-testid=target]")).to_have_count(2)
    page.wait_for_function("() => { const c = document.querySelector('[data-chart=goal]');"
                           " return c && window.Chart && Chart.getChart(c)"
                           " && Chart.getChart(c).data.datasets.length === 3; }")
    assert page.evaluate("Chart.getChart(document.querySelector('[data-chart=goal]')).data.datasets[2].borderDash") \
        == [6, 4]
    shot(page, f"goals-show-{lang}")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale=t["locale"],
                                storage_state=ctx.storage_state())
    small = phone.new_page()
    small.goto(live_server + "/acme/coffee/goals/")
    expect(small.locator("[data-testid=goal-row]")).to_have_count(2)
    expect(small.locator("[data-testid=goal-group-behind]")).to_contain_text("Slow growth")
    assert small.evaluate("document.documentElement.scrollWidth") <= 390
    shot(small, f"goals-list-phone-{lang}")
    small.goto(page.url)
    assert small.evaluate("document.documentElement.scrollWidth") <= 390
    shot(small, f"goals-show-phone-{lang}")
    assert errors == []
