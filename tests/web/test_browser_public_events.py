"""The public registration page in real Chromium on a phone (390 px), in English and in Russian: register, open
the ticket link from the mail, see the QR code; then cancel from the ticket page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support import public_events as pe
from tests.support.browser import console_errors, shot

TEXTS = {
    "en": {"locale": "en-GB", "register": "Register", "done": "Your ticket is on its way", "left": "5 places left",
           "cancel": "Cancel my registration", "cannot": "Cannot come?", "cancelled": "Cancelled"},
    "ru": {"locale": "ru-RU", "register": "Зарегистрироваться", "done": "Билет уже в пути", "left": "Осталось 5 мест",
           "cancel": "Отменить мою регистрацию", "cannot": "Не получается прийти?", "cancelled": "Отменена"},
}


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_register_on_a_phone_and_open_the_ticket_from_the_mail(live_server, browser, lang):  # noqa: F811
    t = TEXTS[lang]
    w = pe.world(capacity=5, form_fields=["company"], location="Cafe Beans, Main St 1",
                 description="Coffee, talks and people.\nBring a friend.")
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale=t["locale"])
    page = ctx.new_page()
    errors = console_errors(page)
    page.goto(live_server + w.form)
    expect(page.locator("[data-testid=event-title]")).to_have_text("Meet-up")
    expect(page.locator("[data-testid=spots]")).to_have_text(t["left"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 390          # nothing wider than the phone
    page.fill("#name", "Ann Lee")
    page.fill("#email", "ann@example.test")
    page.fill("#company", "Acme Beans")
    page.check("#consent")
    shot(page, f"70-public-register-{lang}")
    page.get_by_role("button", name=t["register"]).click()
    expect(page.locator("[data-testid=register-done]")).to_contain_text(t["done"])
    [ticket] = pe.mails("ann@example.test")
    page.goto(live_server + pe.path_in(ticket, "/t/"))
    [reg] = pe.registrations(w)
    expect(page.locator("[data-testid=ticket-code]")).to_have_text(reg.ticket)
    qr = page.locator("[data-testid=ticket-qr] svg")
    expect(qr).to_be_visible()
    assert 200 <= qr.bounding_box()["width"] <= 270
    shot(page, f"71-public-ticket-{lang}")
    page.get_by_text(t["cannot"]).click()
    page.get_by_role("button", name=t["cancel"]).click()
    expect(page.locator("[data-testid=ticket]")).to_have_attribute("data-status", "cancelled")
    expect(page.locator("[data-testid=ticket]")).to_contain_text(t["cancelled"])
    assert [r.status for r in pe.registrations(w)] == ["cancelled"]
    assert errors == []
