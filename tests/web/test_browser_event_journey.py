"""One event from start to end in real Chromium, in English and in Russian: a manager creates the event through
the form; a visitor opens its public link on a phone and registers; the ticket mail's link opens the ticket;
at the door, on a 390 px phone, the manager types the ticket and the guest is checked in; the event page and
the event report count them. Every page of the journey stays within the phone's width."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tenants.core.base import utcnow
from tests.support import factories
from tests.support import public_events as pe
from tests.support.browser import console_errors, shot, sign_in

TEXTS = {
    "en": {"locale": "en-GB", "title": "Night of espresso", "register": "Register", "checked": "Checked in",
           "came": "Attended"},
    "ru": {"locale": "ru-RU", "title": "Вечер эспрессо", "register": "Зарегистрироваться",
           "checked": "Отмечен(а)", "came": "Пришли"},
}


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_create_register_check_in_and_report(live_server, browser, lang):  # noqa: F811
    t = TEXTS[lang]
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    factories.person(a, "m@acme.test", "manager", [o.id])
    start = (utcnow() + timedelta(minutes=30)).replace(second=0, microsecond=0, tzinfo=None)   # the door opens

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale=t["locale"])
    page = desk.new_page()
    errors = console_errors(page)
    sign_in(page, live_server)
    page.goto(live_server + "/acme/coffee/events/new")
    page.fill("[data-testid=event-title]", t["title"])
    page.fill("[data-testid=event-starts]", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("[data-testid=event-ends]", (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.select_option("[data-testid=event-timezone]", "UTC")
    page.fill("[data-testid=event-capacity]", "20")
    page.click("[data-testid=save-event]")
    expect(page.locator("[data-testid=event-heading]")).to_have_text(t["title"])
    event_url = page.url
    link = page.locator("[data-testid=public-link-url]").input_value()
    assert link.startswith("http://localhost/e/")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale=t["locale"], is_mobile=True)
    guest = phone.new_page()
    errors += console_errors(guest)
    guest.goto(live_server + link.removeprefix("http://localhost"))
    expect(guest.locator("[data-testid=event-title]")).to_have_text(t["title"])
    guest.fill("#name", "Vera Lis")
    guest.fill("#email", "vera@example.test")
    guest.check("#consent")
    guest.get_by_role("button", name=t["register"]).click()
    expect(guest.locator("[data-testid=register-done]")).to_be_visible()
    _fits(guest)
    [mail] = pe.mails("vera@example.test")
    guest.goto(live_server + pe.path_in(mail, "/t/"))
    ticket = guest.locator("[data-testid=ticket-code]").inner_text()
    expect(guest.locator("[data-testid=ticket-qr] svg")).to_be_visible()
    shot(guest, f"journey-ticket-{lang}-390")
    _fits(guest)

    door = phone.new_page()
    errors += console_errors(door)
    sign_in(door, live_server)
    door.goto(event_url)
    door.click("[data-testid=checkin-link]")
    expect(door.locator("[data-testid=count-arrived]")).to_have_text("0")
    door.fill("[data-testid=ticket-input]", ticket)
    door.click("[data-testid=ticket-submit]")
    expect(door.locator("[data-testid=outcome]")).to_contain_text(t["checked"])
    expect(door.locator("[data-testid=outcome]")).to_contain_text("Vera Lis")
    expect(door.locator("[data-testid=count-arrived]")).to_have_text("1")
    shot(door, f"journey-checkin-{lang}-390")
    _fits(door)

    page.goto(event_url)
    expect(page.locator("[data-testid=registration-row]")).to_contain_text("Vera Lis")
    expect(page.locator("[data-testid=count-attended]")).to_have_text("1")
    page.click("[data-testid=report-link]")
    expect(page.locator("[data-testid=report-kpis]")).to_contain_text(t["came"])
    expect(page.locator("[data-testid=kpi-attended] .kpi-value")).to_have_text("1")
    shot(page, f"journey-report-{lang}")
    door.goto(page.url)
    expect(door.locator("[data-testid=report-kpis]")).to_be_visible()
    shot(door, f"journey-report-{lang}-390")
    _fits(door)
    assert errors == []
