"""Real headless Chromium (Debian's package, driven by Playwright) against the app served on a free port;
screenshots land in test-artifacts/ to be looked at."""
from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from tenants.core.config import ROOT

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def console_errors(page) -> list[str]:
    """Collects the console errors and uncaught exceptions of `page` from now on."""
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: found.append(str(e)))
    return found


def wide_tables(page) -> list[str]:
    """The tables wider than the card that holds them (they would scroll sideways inside it), by class."""
    return page.evaluate("""() => [...document.querySelectorAll('.card table')]
        .filter(t => t.getBoundingClientRect().width > t.closest('.card').clientWidth + 1).map(t => t.className)""")


def settled(page) -> None:
    """Wait until htmx has no request in flight and has processed what it swapped in (a person is never faster)."""
    page.wait_for_timeout(60)
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping, .htmx-added")).to_have_count(0)


def choose_language(page, lang: str) -> None:
    """Switch the signed-in user's language from the sidebar (behind the Menu button on a phone)."""
    menu = page.locator("[data-testid=menu-button]")
    if menu.is_visible():
        menu.click()
    page.click(f".sidebar button[value={lang}]")


def sign_in(page, base: str, email: str = "m@acme.test") -> None:
    """Log in through the login form (the tests' shared password)."""
    from tests.support.http import PASSWORD
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
