"""A Luma guest list imported into an event in real Chromium, in English and in Russian, on a desktop and a phone:
the event picked on the import page, the recognised columns previewed, the result with its rejected rows."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support import factories
from tests.support.browser import console_errors, shot
from tests.support.events import event
from tests.support.http import PASSWORD
from tests.support.imports import work

LUMA = Path(__file__).parents[1] / "fixtures" / "guests" / "luma.csv"
TEXTS = {
    "en": {"locale": "en-GB", "upload": "Upload", "start": "Start import", "guests": "Guests of Cupping",
           "status": "Guest status", "email": "is not an email address"},
    "ru": {"locale": "ru-RU", "upload": "Загрузить", "start": "Начать импорт",
           "guests": "Гости мероприятия «Cupping» (",
           "status": "Статус гостя", "email": "не адрес электронной почты"},
}


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("width", [1280, 390])
def test_a_guest_list_is_imported_into_an_event(live_server, browser, worker_env, lang, width):  # noqa: F811
    t = TEXTS[lang]
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    pid = event(a, o, title="Cupping", starts_at="2026-11-28T18:00:00", ends_at="2026-11-28T21:00:00")
    ctx = browser.new_context(viewport={"width": width, "height": 900}, locale=t["locale"])
    page = ctx.new_page()
    errors = console_errors(page)
    page.goto(live_server + "/login")
    page.fill("#email", "o@acme.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(live_server + "/acme/coffee/imports/")
    page.check("[data-testid=kind-guests]")
    page.select_option("[data-testid=event-picker]", pid)
    page.set_input_files("#file", str(LUMA))
    shot(page, f"70-guests-upload-{lang}-{width}")
    page.get_by_role("button", name=t["upload"]).click()
    expect(page.locator("[data-testid=import-event]")).to_contain_text(t["guests"])
    expect(page.locator("[data-testid=map-7] option:checked")).to_have_text(t["status"])
    shot(page, f"71-guests-mapping-{lang}-{width}")
    page.get_by_role("button", name=t["start"]).click()
    work(worker_env)
    page.reload()
    expect(page.locator("[data-testid=imported]")).to_have_text("4")
    expect(page.locator("[data-testid=checked-in]")).to_have_text("1")
    expect(page.locator(".rejected-rows")).to_contain_text(t["email"])
    shot(page, f"72-guests-result-{lang}-{width}")
    assert errors == []
