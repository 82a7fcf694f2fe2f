"""Events in real Chromium, in English and in Russian: a manager creates an event through the form (local time
in a chosen zone, capacity, a host picked by search), registers members by hand until the waitlist starts,
cancels one (the first waitlisted takes the place), and finds the event in the list and in the month calendar;
on a 390 px phone no page is wider than the screen."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tenants.core.base import utcnow
from tests.support import factories
from tests.support.browser import console_errors, settled, shot, sign_in
from tests.support.events import people

TEXTS = {
    "en": {"locale": "en-GB", "events": "Events", "title": "Design meet-up", "at": "7:00 PM",
           "promoted": "took the place from the waitlist"},
    "ru": {"locale": "ru-RU", "events": "Мероприятия", "title": "Встреча дизайнеров", "at": "19:00",
           "promoted": "получает место из листа ожидания"},
}


def _register(page, name: str) -> None:
    search = page.locator("[data-testid=member-search]")
    search.fill("")
    search.press_sequentially(name[:3], delay=80)      # typed, as at the door: the search follows each key
    page.locator("[data-testid=candidate-member]", has_text=name).locator("[data-testid=register-member]").click()
    expect(page.locator("[data-testid=event-notice]")).to_contain_text(name)


WIDEST = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
    .map(e => e.tagName + '.' + e.className).slice(0, 5)"""


def _no_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, (page.url, width, page.evaluate(WIDEST))


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_an_event_is_created_filled_and_found_in_the_list_and_calendar(live_server, browser, lang):  # noqa: F811
    t = TEXTS[lang]
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    factories.person(a, "m@acme.test", "manager", [o.id])
    people(a, o)
    day = (utcnow() + timedelta(days=40)).date()
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale=t["locale"])
    page = ctx.new_page()
    errors = console_errors(page)
    sign_in(page, live_server)
    page.goto(live_server + "/acme/coffee/")
    page.click("[data-testid=nav-events]")
    expect(page.locator("h1")).to_have_text(t["events"])
    page.click("[data-testid=new-event]")
    page.fill("[data-testid=event-title]", "")
    page.click("[data-testid=save-event]")
    expect(page.locator("[data-testid=error-title]")).to_be_visible()       # beside its input, nothing saved
    page.fill("[data-testid=event-title]", t["title"])
    page.fill("[data-testid=event-starts]", f"{day.isoformat()}T19:00")
    page.fill("[data-testid=event-ends]", f"{day.isoformat()}T21:30")
    page.select_option("[data-testid=event-timezone]", "Asia/Vladivostok")
    page.fill("[data-testid=event-capacity]", "2")
    page.fill("[data-testid=event-location]", "Svetlanskaya 1, Vladivostok")
    page.fill("[data-testid=pick-hosts]", "ann")
    page.locator("[data-testid=pick-option]", has_text="Ann").click()
    expect(page.locator("[data-testid=picked-hosts]")).to_have_text("Ann ×")
    shot(page, f"events-form-{lang}")
    page.click("[data-testid=save-event]")
    expect(page.locator("[data-testid=event-heading]")).to_have_text(t["title"])
    expect(page.locator("[data-testid=event-when]")).to_contain_text(t["at"])
    expect(page.locator("[data-testid=event-when]")).to_contain_text("Asia/Vladivostok, UTC+10")
    for name in ("Bob", "Cat", "Dan"):
        _register(page, name)
    expect(page.locator("[data-testid=registration-row][data-status=waitlisted]")).to_contain_text("Dan")
    expect(page.locator("[data-testid=count-waitlisted]")).to_have_text("1")
    page.once("dialog", lambda d: d.accept())
    page.locator("[data-testid=registration-row]", has_text="Bob").locator("[data-testid=cancel-registration]").click()
    expect(page.locator("[data-testid=event-notice]")).to_contain_text(t["promoted"])
    expect(page.locator("[data-testid=registration-row][data-status=registered]")).to_have_count(2)
    expect(page.locator("[data-testid=count-waitlisted]")).to_have_text("0")
    expect(page.locator("[data-testid=registration-log]")).to_contain_text("Dan")
    settled(page)           # the swapped-in filter is live before it is used
    page.select_option("[data-testid=status-filter]", "waitlisted")
    expect(page.locator("[data-testid=registration-row]")).to_have_count(0)
    page.select_option("[data-testid=status-filter]", "")
    expect(page.locator("[data-testid=registration-row]")).to_have_count(3)
    shot(page, f"events-page-{lang}")
    event_url = page.url
    page.click("[data-testid=nav-events]")
    expect(page.locator("[data-testid=event-row]")).to_contain_text(t["title"])
    shot(page, f"events-list-{lang}")
    page.goto(live_server + f"/acme/coffee/events/calendar?month={day.strftime('%Y-%m')}")
    cell = page.locator(f".calendar-day[data-day='{day.isoformat()}']")
    expect(cell.locator("[data-testid=calendar-event]")).to_contain_text(t["title"])
    shot(page, f"events-calendar-{lang}")
    assert [e for e in errors if "422" not in e] == []       # the refused empty title answers 422

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale=t["locale"], is_mobile=True)
    small = phone.new_page()
    sign_in(small, live_server)
    for name, url in (("list", "/acme/coffee/events/"), ("calendar", f"/acme/coffee/events/calendar?month="
                                                                       f"{day.strftime('%Y-%m')}"),
                      ("page", event_url.replace(live_server, "")), ("form", "/acme/coffee/events/new")):
        small.goto(live_server + url)
        shot(small, f"events-{name}-{lang}-390")
        _no_overflow(small)
    small.goto(live_server + f"/acme/coffee/events/calendar?month={day.strftime('%Y-%m')}")
    expect(small.locator("[data-testid=calendar-list]")).to_contain_text(t["title"])
