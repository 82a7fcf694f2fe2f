"""The phone menu in real Chromium: at 390 px the sidebar hides behind a top bar's Menu button (opened and closed
by the button and by Escape, its links working), and nothing is wider than the screen; at 1280 px the sidebar
shows and the top bar does not. English and Russian."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support import factories
from tests.support.browser import console_errors, sign_in

WIDEST = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
    .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40)).slice(-5)"""
MENU = {"en": ("en-GB", "Menu", "Segments"), "ru": ("ru-RU", "Меню", "Сегменты")}


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_sidebar_is_a_menu_on_a_phone(live_server, browser, lang):  # noqa: F811
    locale, menu, segments = MENU[lang]
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee Lovers of the Northern Riverside")
    factories.person(a, "m@acme.test", "manager", [o.id])
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    errors = console_errors(page)
    sign_in(page, live_server)
    page.goto(live_server + f"/acme/{o.slug}/")
    button = page.locator("[data-testid=menu-button]")
    expect(button).to_have_text(menu)
    expect(page.locator("#sidebar")).to_be_hidden()
    expect(page.locator(".topbar")).to_contain_text("Coffee Lovers")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.evaluate(WIDEST)
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#sidebar [data-testid=nav-segments]")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#sidebar")).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    button.click()
    page.locator("#sidebar [data-testid=nav-segments]").click()
    expect(page.locator("h1")).to_have_text(segments)
    expect(page.locator("#sidebar")).to_be_hidden()           # a new page starts with the menu closed
    ctx.close()

    wide = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    desk = wide.new_page()
    errors += console_errors(desk)
    sign_in(desk, live_server)
    desk.goto(live_server + f"/acme/{o.slug}/")
    expect(desk.locator("#sidebar [data-testid=nav-segments]")).to_be_visible()
    expect(desk.locator(".topbar")).to_be_hidden()
    wide.close()
    assert errors == []
