"""Pages with real figures in real Chromium at a 390 px phone width, English and Russian: the client's dashboard
(each figure with its plain explanation, charts drawn inside the screen), the members list and the digest page
(staff) — nothing wider than the screen; wide tables scroll inside their own box."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tenants import scoring
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.metrics import rollups
from tests.support import factories
from tests.support.browser import console_errors, settled, sign_in
from tests.support.scoring import act

WIDEST = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
    .map(e => e.tagName + '.' + e.className).slice(-5)"""
LOCALES = {"en": ("en-GB", "Loyal and advocates", "your own team and bots are not counted"),
           "ru": ("ru-RU", "Лояльные и адвокаты", "ваша команда и боты не считаются")}


def _world():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee Lovers of the Northern Riverside")
    factories.person(a, "m@acme.test", "manager", [o.id])
    factories.person(a, "c@acme.test", "client", [o.id])
    now = datetime.now(UTC)
    items = [act(f"member-with-a-rather-long-name-{i}", kind, now - timedelta(days=d, hours=i), f"{i}-{d}-{kind}",
                 meta={"nps": 9} if kind == "survey_answer" else None)
             for i in range(24) for d in range(0, 120, 3 + i % 5)
             for kind in (("message", "survey_answer") if d == 3 else ("message",))]
    factories.ingest_into(a, o, items)
    with tenant_scope(a.id, o.id), job_session() as s:
        scoring.full(s, o.id)
        rollups.rollup(s, o.id, days=130)
        s.commit()
    return a, o


def _fits(page) -> None:
    settled(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.evaluate(WIDEST)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_dashboard_members_and_digest_fit_a_phone(live_server, browser, lang):  # noqa: F811
    locale, loyal, hint = LOCALES[lang]
    a, o = _world()
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    errors = console_errors(page)
    sign_in(page, live_server, "c@acme.test")
    page.goto(live_server + f"/acme/{o.slug}/")
    expect(page.locator("[data-kpi=loyal_advocates] .kpi-label")).to_have_text(loyal)
    expect(page.locator("[data-kpi=members] .kpi-hint")).to_contain_text(hint)
    expect(page.locator("[data-kpi=members] .kpi-hint")).to_be_visible()
    expect(page.locator("[data-testid=chart-active]")).to_be_visible()
    _fits(page)
    charts = page.evaluate("[...document.querySelectorAll('canvas')].map(c => c.getBoundingClientRect().right)")
    assert charts and max(charts) <= 390
    ctx.clear_cookies()
    sign_in(page, live_server, "m@acme.test")
    page.goto(live_server + f"/acme/{o.slug}/members/")
    expect(page.locator(".member-stage-phone").first).to_be_visible()
    _fits(page)
    page.goto(live_server + f"/acme/{o.slug}/digest/")
    expect(page.locator("[data-testid=digest-people]")).to_contain_text("c@acme.test")
    _fits(page)
    ctx.close()
    assert errors == []
