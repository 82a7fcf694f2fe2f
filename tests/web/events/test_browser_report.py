"""The event report in real Chromium at a phone's and a desktop's width, in English and in Russian: the figures,
the charts drawn, nothing wider than the screen, no console errors; and the dashboard's events panel."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support import factories
from tests.support.browser import console_errors, shot
from tests.support.event_history import members, past_event, upcoming_event
from tests.support.http import PASSWORD

TEXTS = {"en": {"locale": "en-GB", "title": "Event report", "effect": "Effect on loyalty", "panel": "Events held"},
         "ru": {"locale": "ru-RU", "title": "Отчёт о мероприятии", "effect": "Влияние на лояльность",
                "panel": "Проведено мероприятий"}}


def _world():
    """Twelve attendees and twelve comparable members at a meet-up 70 days ago (an earlier one for the forecast),
    a survey, and the next meet-up ahead."""
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    went, others = [f"a{i}" for i in range(12)], [f"c{i}" for i in range(12)]
    ids = members(a, o, {n: [160, 150, 140] + ([50] if n in went else []) for n in went + others})
    past_event(a, o, 120, ids, registered=went[:8] + others[:3], came=went[:6] + others[:1])
    pid = past_event(a, o, 70, ids, registered=went + others[:2], came=went, walk_ins=(others[5],),
                     registered_days_before=0, survey={n: 6 + i % 5 for i, n in enumerate(went[:9])})
    upcoming_event(a, o, 9, ids, registered=went[:7] + others[:4])
    factories.person(a, "client@acme.test", "client", [o.id])
    return pid


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_report_on_a_phone_and_a_desktop(live_server, browser, lang):  # noqa: F811
    t = TEXTS[lang]
    pid = _world()
    for width in (390, 1280):
        ctx = browser.new_context(viewport={"width": width, "height": 900}, locale=t["locale"])
        page = ctx.new_page()
        errors = console_errors(page)
        page.goto(live_server + "/login")
        page.fill("#email", "client@acme.test")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{live_server}/acme/coffee/events/{pid}/report")
        expect(page.locator("h1")).to_have_text(t["title"])
        expect(page.locator("[data-testid=effect] h2")).to_have_text(t["effect"])
        expect(page.locator("[data-testid=effect-30]")).to_contain_text("13")
        page.wait_for_function("() => typeof Chart !== 'undefined' && "
                               "Chart.getChart(document.querySelector('[data-chart=stages]')) !== undefined")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        shot(page, f"report-{lang}-{width}")
        page.goto(f"{live_server}/acme/coffee/")
        expect(page.locator("[data-testid=events-held]")).to_contain_text(t["panel"])
        page.locator("[data-testid=events-panel]").scroll_into_view_if_needed()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        page.locator("[data-testid=events-panel]").screenshot(path=str(_artifact(f"panel-{lang}-{width}")))
        assert errors == []
        ctx.close()


def _artifact(name: str):
    from tests.support.browser import ARTIFACTS
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
