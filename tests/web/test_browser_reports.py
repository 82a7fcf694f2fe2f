"""Reports in real Chromium, in English and in Russian: a client signs in, finds the latest published report from
the organisation's page, reads it and downloads its PDF; a manager's report page and the share page; on a 390 px
phone no page is wider than the screen. A manager generates a report and watches its progress until it links the new
version (a real RQ worker)."""
from __future__ import annotations

import subprocess

import pytest
from playwright.sync_api import expect

from tests.support import reports as R
from tests.support.browser import choose_language, console_errors, shot, sign_in
from tests.support.workers import work_burst

TEXTS = {"en": {"locale": "en-GB", "title": "Loyalty report", "reports": "Reports", "v3": "Version 3"},
         "ru": {"locale": "ru-RU", "title": "Отчёт о лояльности", "reports": "Отчёты", "v3": "Версия 3"}}
WIDEST = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
    .map(e => e.tagName + '.' + e.className).slice(0, 5)"""


def _no_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, (page.url, width, page.evaluate(WIDEST))


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_client_opens_the_latest_published_report_and_downloads_the_pdf(live_server, browser, lang):  # noqa: F811
    t = TEXTS[lang]
    w = R.world()
    R.report(w.a, w.o, status="published")
    latest = R.report(w.a, w.o, status="published")
    draft = R.report(w.a, w.o)
    token = R.share(w.a, w.o, latest)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale=t["locale"], accept_downloads=True)
    page = ctx.new_page()
    errors = console_errors(page)
    sign_in(page, live_server, "c@acme.test")
    page.goto(live_server + "/acme/coffee/")
    if lang == "ru":
        choose_language(page, "ru")
    page.click("[data-testid=latest-report]")
    expect(page.locator("[data-testid=report-title]")).to_contain_text(t["title"])
    assert latest in page.url
    expect(page.locator("[data-testid=approve]")).to_have_count(0)
    expect(page.locator("[data-testid=notes-form]")).to_have_count(0)
    shot(page, f"reports-client-{lang}-1280")
    with page.expect_download() as download:
        page.click("[data-testid=download-pdf]")
    pdf = download.value.path().read_bytes()
    text = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Coffee" in text and "Loyalty report" in text          # the report's language (English)
    page.click("[data-testid=nav-reports]")
    expect(page.locator("h1")).to_have_text(t["reports"])
    expect(page.locator("[data-testid=report-row]")).to_have_count(2)      # the draft is not the client's
    assert draft not in page.content()
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/acme/coffee/reports/", f"/acme/coffee/reports/{latest}", f"/r/{token}"):
        page.goto(live_server + path)
        _no_overflow(page)
    page.goto(live_server + f"/acme/coffee/reports/{latest}")
    shot(page, f"reports-client-{lang}-390")
    assert errors == []
    ctx.close()


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_managers_pages_and_the_share_page_fit_a_phone(live_server, browser, lang, worker_env):  # noqa: F811
    t = TEXTS[lang]
    w = R.world()
    draft = R.report(w.a, w.o)
    published = R.report(w.a, w.o, status="published")
    token = R.share(w.a, w.o, published)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale=t["locale"])
    page = ctx.new_page()
    errors = console_errors(page)
    sign_in(page, live_server, "m@acme.test")
    page.goto(live_server + "/acme/coffee/")
    if lang == "ru":
        choose_language(page, "ru")
    page.goto(live_server + f"/acme/coffee/reports/{draft}")
    page.fill("#work_done", "Ran the May meet-up")
    page.click("[data-testid=save-notes]")
    expect(page.locator(".rep-note")).to_have_text("Ran the May meet-up")
    page.click("[data-testid=approve]")
    expect(page.locator("[data-testid=publish]")).to_be_visible()
    shot(page, f"reports-manager-{lang}-1280")
    page.goto(live_server + f"/acme/coffee/reports/{published}")
    page.click("[data-testid=create-link]")
    expect(page.locator("[data-testid=new-link]")).to_contain_text("/r/")
    expect(page.locator("[data-testid=link-row]")).to_have_count(2)
    page.goto(live_server + "/acme/coffee/reports/")
    page.fill("[data-testid=generate-month]", "2026-05")
    page.click("[data-testid=generate]")
    expect(page.locator("[data-testid=job-progress]")).to_be_visible()
    assert work_burst(worker_env).returncode == 0
    expect(page.locator("[data-testid=job-done]")).to_be_visible(timeout=10000)      # the fragment stopped polling
    page.click("[data-testid=open-new-report]")
    expect(page.locator("[data-testid=report-title]")).to_be_visible()
    expect(page.locator("header.rep-head p.muted")).to_contain_text(t["v3"])          # the third version of May
    page.goto(live_server + "/acme/coffee/reports/")
    shot(page, f"reports-list-{lang}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/acme/coffee/reports/", f"/acme/coffee/reports/{draft}", f"/acme/coffee/reports/{published}"):
        page.goto(live_server + path)
        _no_overflow(page)
        shot(page, f"reports-manager-{lang}-390-{path.rsplit('/', 1)[-1] or 'list'}")
    anonymous = browser.new_context(viewport={"width": 390, "height": 844}, locale=t["locale"]).new_page()
    anonymous.goto(live_server + f"/r/{token}")
    expect(anonymous.locator("[data-testid=report-title]")).to_be_visible()
    _no_overflow(anonymous)
    shot(anonymous, f"reports-share-{lang}-390")
    assert errors == []
    ctx.close()
