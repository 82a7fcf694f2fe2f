"""The owner's portfolio in real Chromium at 1280 and 390 px, English and Russian: the needs-attention list, the
table sorted by a click (htmx swaps the table), no horizontal scroll of the page (the table scrolls in its own
box); the agency's white label in the sidebar."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tenants import scoring
from tenants.agency import branding, jobs
from tenants.core.audit import Actor
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.metrics import rollups
from tests.support import factories
from tests.support.browser import choose_language, console_errors, settled, shot, sign_in
from tests.support.scoring import act

WIDEST = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391
    && !e.closest('.portfolio-box')).map(e => e.tagName + '.' + e.className).slice(-5)"""
TEXT = {"en": ("Client organisations", "Needs attention", "import failed"),
        "ru": ("Организации клиентов", "Требует внимания", "импорт не удался")}


def _world():
    a = factories.agency("Acme", "o@acme.test")
    from datetime import timedelta
    now = utcnow()
    orgs = [factories.org(a, n) for n in ("Nordic Coffee Roasters", "Tea House", "Quiet Bakery")]
    for k, o in enumerate(orgs[:2]):
        factories.ingest_into(a, o, [act(f"m{i}", "message", now - timedelta(days=i % 9), f"{k}-{i}")
                                     for i in range(10 + 20 * k)])
        with tenant_scope(a.id, o.id), job_session() as s:
            scoring.full(s, o.id, now)
            rollups.rollup(s, o.id, days=40, as_of=now)
            s.commit()
    with tenant_scope(a.id), job_session() as s:
        run = jobs.create(s, "csv_import", orgs[1].id, {}, None)
        s.flush()
        run.status = "failed"
        logo = io.BytesIO()
        Image.new("RGB", (120, 32), (15, 118, 110)).save(logo, "PNG")
        branding.set_logo(s, None, logo.getvalue(), Actor(email="t"))
        branding.save(s, None, {"colour": "#0f766e"}, Actor(email="t"))
        s.commit()
    return a, orgs


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_owners_portfolio_on_desktop_and_phone(live_server, browser, lang):  # noqa: F811
    title, attention, failed = TEXT[lang]
    _a, orgs = _world()
    errors = []
    for width, height in ((1280, 900), (390, 844)):
        ctx = browser.new_context(viewport={"width": width, "height": height},
                                  locale="ru-RU" if lang == "ru" else "en-GB", is_mobile=width < 500)
        page = ctx.new_page()
        errors += console_errors(page)
        sign_in(page, live_server, "o@acme.test")
        if lang == "ru" and width == 1280:
            choose_language(page, "ru")
        page.goto(live_server + "/acme/")
        expect(page.locator("h1")).to_have_text(title)
        expect(page.locator("[data-testid=attention]")).to_contain_text(attention)
        expect(page.locator("[data-testid=attention]")).to_contain_text(failed)
        expect(page.locator("[data-testid=org-card]")).to_have_count(3)
        expect(page.locator("[data-testid=org-card]").first).to_contain_text("Tea House")    # needs attention
        page.locator("[data-testid=sort-members]").click()
        settled(page)
        expect(page.locator("[data-testid=org-card]").first).to_contain_text("Tea House")    # 30 members
        page.locator("[data-testid=sort-members]").click()
        settled(page)
        expect(page.locator("[data-testid=org-card]").first).to_contain_text("Nordic Coffee")
        expect(page.locator("[data-testid=org-card]").last).to_contain_text("Quiet Bakery")   # no data last
        assert "sort=members" in page.url
        assert page.evaluate("document.documentElement.scrollWidth") <= width, page.evaluate(WIDEST)
        box = page.locator(".portfolio-box")
        if width == 390:
            assert box.evaluate("e => e.scrollWidth > e.clientWidth")           # the table scrolls in its box
        else:
            expect(page.locator("[data-testid=sidebar-brand] img")).to_be_visible()
        shot(page, f"portfolio-{lang}-{width}")
        ctx.close()
    assert errors == []


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_white_label_pages_fit_a_phone_and_refuse_a_bad_colour(live_server, browser, lang):  # noqa: F811
    _a, orgs = _world()
    for width, height in ((1280, 900), (390, 844)):
        ctx = browser.new_context(viewport={"width": width, "height": height},
                                  locale="ru-RU" if lang == "ru" else "en-GB", is_mobile=width < 500)
        page = ctx.new_page()
        errors = console_errors(page)
        sign_in(page, live_server, "o@acme.test")
        if lang == "ru" and width == 1280:
            choose_language(page, "ru")
        page.goto(live_server + "/acme/branding")
        expect(page.locator("[data-testid=brand-logo]")).to_be_visible()
        page.fill("[data-testid=brand-colour]", "teal")
        page.locator("[data-testid=brand-colour]").press("Enter")
        expect(page.locator("[data-testid=brand-error]")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"branding-{lang}-{width}")
        page.goto(live_server + f"/acme/{orgs[0].slug}/settings")
        expect(page.locator("[data-testid=org-branding]")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"org-branding-{lang}-{width}")
        ctx.close()
        assert [e for e in errors if "422" not in e] == []      # the refused colour answers 422, as it should
