"""Leaders in real Chromium, in English and in Russian: a candidate becomes an active opinion leader."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.leaders import candidates
from tests.support import factories
from tests.support import leaders as graph
from tests.support.browser import choose_language, console_errors, shot, wide_tables
from tests.support.http import PASSWORD

TEXTS = {
    "en": {"locale": "en-GB", "why": "answered by 41 members in 90 days", "active": "Active leader",
           "add": "Add as leader", "change": "Change status", "candidate": "Candidate",
           "title": "Opinion leaders"},
    "ru": {"locale": "ru-RU", "why": "ответил 41 участник за 90 дней", "active": "Активный лидер",
           "add": "Сделать лидером", "change": "Сменить статус", "candidate": "Кандидат",
           "title": "Лидеры мнений"},
}


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_candidate_becomes_an_active_leader(live_server, browser, lang):  # noqa: F811
    t = TEXTS[lang]
    w = graph.build()
    factories.person(w.a, "m@acme.test", "manager", [w.o.id])
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        candidates.compute(s, w.o.id, w.now)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale=t["locale"])
    page = ctx.new_page()
    errors = console_errors(page)
    page.goto(live_server + "/login")
    page.fill("#email", "m@acme.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(live_server + "/acme/coffee/")
    page.click("[data-testid=nav-leaders]")
    expect(page.locator("h1")).to_have_text(t["title"])
    star = page.locator("[data-testid=candidate]").first
    expect(star.locator("[data-testid=candidate-why]")).to_contain_text(t["why"])
    shot(page, f"60-leaders-{lang}")
    star.locator("button", has_text=t["add"]).click()
    expect(page.locator("[data-testid=leader-status]")).to_have_text(t["candidate"])
    page.select_option("#status-select", "active")
    page.fill("#status-note", "co-hosts the next meetup")
    page.click("[data-testid=save-status]")
    expect(page.locator("[data-testid=leader-status]")).to_have_text(t["active"])
    expect(page.locator("[data-testid=status-history]")).to_contain_text("co-hosts the next meetup")
    expect(page.locator("canvas[data-leader-chart]")).to_be_visible()
    shot(page, f"61-leader-{lang}")
    page.click("[data-testid=nav-leaders]")
    expect(page.locator("[data-testid=leader-row]")).to_contain_text(t["active"])
    expect(page.locator("[data-testid=candidate-why]").first).not_to_contain_text(t["why"])
    assert errors == []


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_leader_pages_fit_a_phone(live_server, browser, lang):  # noqa: F811
    """At 390 px the list keeps who and status (no table scrolling sideways in its card), the candidates and a
    leader's page wrap within the screen."""
    from tenants.community.models import Member
    from tenants.core.audit import Actor
    from tenants.leaders import leaders
    w = graph.build()
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        candidates.compute(s, w.o.id, w.now)
        star = leaders.add(s, s.get(Member, w.ids["star"]), "active", Actor(email="t"), kind="expert",
                           topics=["espresso", "latte art", "home roasting"], channels=["telegram", "vk"],
                           note="hosts the Saturday cupping sessions")
        s.commit()
        star_id = star.public_id
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale=TEXTS[lang]["locale"])
    errors = console_errors(page)
    page.goto(live_server + "/login")
    page.fill("#email", "o@acme.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    if lang == "ru":
        choose_language(page, "ru")
    for name, path in (("leaders", "/"), ("leader", f"/{star_id}")):
        page.goto(live_server + "/acme/coffee/leaders" + path)
        expect(page.locator("[data-testid=leader-status]" if name == "leader" else "[data-testid=leader-row]")
               .first).to_contain_text(TEXTS[lang]["active"])
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
        assert wide_tables(page) == [], name
        shot(page, f"62-{name}-{lang}-390")
    assert errors == []
