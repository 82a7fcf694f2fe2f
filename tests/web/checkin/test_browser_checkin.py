"""The check-in page in real Chromium on a 390×844 phone viewport, in English and Russian: a typed ticket is
counted and undone, a guest found by name is checked in; without a camera the scanner says so and the page
goes on working. With Chromium's fake camera showing a ticket's QR code, the vendored ZXing reads it and the
guest is checked in. No console errors under the app's CSP throughout."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tenants.community.models import Member
from tenants.core.config import ROOT
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.events import events
from tenants.events import registrations as regs
from tests.support import factories
from tests.support.browser import CHROMIUM_ARGS, console_errors, shot, sign_in
from tests.support.events import ACTOR, event, people

TEXTS = {
    "en": {"locale": "en-GB", "checked": "Checked in", "undone": "Check-in undone", "scan": "Scan QR code",
           "nocamera": "Type the ticket or search by name below.", "walkin": "Walk-in added",
           "check": "Check in"},
    "ru": {"locale": "ru-RU", "checked": "Отмечен(а)", "undone": "Отметка отменена", "scan": "Сканировать QR-код",
           "nocamera": "Введите код билета или найдите гостя по имени ниже.", "walkin": "Добавлен(а) без регистрации",
           "check": "Отметить"},
}


def _door() -> tuple[str, dict]:
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    ids = people(a, o)
    pid = event(a, o, title="Espresso night", location="Roastery, 5 Bean St")
    with tenant_scope(a.id, o.id), job_session() as s:
        e = events.by_public_id(s, o.id, pid)
        tickets = {n: regs.register(s, e, ids[n], "form", ACTOR)[0].ticket for n in ("ann", "bob", "dan")}
        s.get(Member, ids["ann"]).email = "ann@example.test"
        s.commit()
    factories.person(a, "m@acme.test", "manager", [o.id])
    return f"/acme/coffee/events/{pid}/checkin/", tickets


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_typed_ticket_is_counted_and_undone_on_a_phone(live_server, browser, lang):
    t = TEXTS[lang]
    path, tickets = _door()
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale=t["locale"], is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    errors = console_errors(page)
    sign_in(page, live_server)
    page.goto(live_server + path)
    expect(page.locator("[data-testid=count-arrived]")).to_have_text("0")
    expect(page.locator("[data-testid=count-registered]")).to_have_text("3")
    page.click("[data-testid=scan-start]")            # headless: no camera, so the page says to type
    expect(page.locator("[data-testid=scan-status]")).to_contain_text(t["nocamera"])
    assert page.evaluate("typeof window.ZXingBrowser.BrowserQRCodeReader") == "function"
    page.fill("[data-testid=ticket-input]", tickets["ann"])
    page.click("[data-testid=ticket-submit]")
    expect(page.locator("[data-testid=outcome]")).to_contain_text(t["checked"])
    expect(page.locator("[data-testid=count-arrived]")).to_have_text("1")
    expect(page.locator("[data-testid=ticket-input]")).to_have_value("")
    expect(page.locator("[data-testid=arrived-row]")).to_have_count(1)
    shot(page, f"checkin-390-{lang}")
    page.click("[data-testid=outcome-undo]")
    expect(page.locator("[data-testid=outcome]")).to_contain_text(t["undone"])
    expect(page.locator("[data-testid=count-arrived]")).to_have_text("0")
    expect(page.locator("[data-testid=arrived-row]")).to_have_count(0)
    page.fill("[data-testid=guest-search]", "bo")
    expect(page.locator("[data-testid=guest]")).to_have_count(1)
    page.locator("[data-testid=guest-checkin]").click()
    expect(page.locator("[data-testid=count-arrived]")).to_have_text("1")
    expect(page.locator("[data-testid=guest] [data-testid=guest-undo]")).to_be_visible()
    page.click("[data-testid=walkin] summary")
    page.fill("[data-testid=walkin-name]", "Zoe Walker")
    page.click("[data-testid=walkin-submit]")
    expect(page.locator("[data-testid=outcome]")).to_contain_text(t["walkin"])
    expect(page.locator("[data-testid=count-walkins]")).to_have_text("1")
    expect(page.locator("[data-testid=walkin-name]")).to_be_hidden()        # a fresh, closed form
    shot(page, f"checkin-390-walkin-{lang}")
    ctx.close()
    wide = browser.new_context(viewport={"width": 1280, "height": 900}, locale=t["locale"])
    page = wide.new_page()
    errors += console_errors(page)
    sign_in(page, live_server)
    page.goto(live_server + path)
    page.fill("[data-testid=ticket-input]", "not-a-real-ticket")
    page.click("[data-testid=ticket-submit]")
    expect(page.locator("[data-outcome=unknown]")).to_be_visible()
    shot(page, f"checkin-1280-{lang}")
    wide.close()
    assert errors == []


def _qr_video(page, text: str, target: Path) -> None:
    """A one-frame Y4M video of `text` as a QR code, drawn by the vendored ZXing's own QR writer, for Chromium's
    fake camera."""
    rects = page.evaluate("""(text) => {
        const svg = new ZXingBrowser.BrowserQRCodeSvgWriter().write(text, 360, 360);
        return [...svg.querySelectorAll('rect')].map(r => ['x', 'y', 'width', 'height'].map(
            a => parseFloat(r.getAttribute(a))));
    }""", text)
    size, offset = 480, 60
    luma = bytearray([255]) * (size * size)
    for x, y, w, h in rects:
        left, right = round(x) + offset, round(x + w) + offset
        for row in range(round(y) + offset, round(y + h) + offset):
            luma[row * size + left:row * size + right] = bytes(right - left)
    chroma = bytes([128]) * (size * size // 4)
    target.write_bytes(f"YUV4MPEG2 W{size} H{size} F10:1 Ip A1:1 C420jpeg\n".encode() + b"FRAME\n" + bytes(luma)
                       + chroma + chroma)


def test_the_phone_camera_reads_a_ticket_qr_code(live_server, tmp_path):
    path, tickets = _door()
    video = tmp_path / "ticket.y4m"
    with sync_playwright() as p:
        plain = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = plain.new_page()
        page.add_script_tag(content=(ROOT / "web/static/vendor/zxing-browser.min.js").read_text())
        _qr_video(page, f"https://communa.example/t/{tickets['dan']}", video)
        plain.close()
        camera = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS + [
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"])
        page = camera.new_context(viewport={"width": 390, "height": 844}, locale="en-GB").new_page()
        errors = console_errors(page)
        sign_in(page, live_server)
        page.goto(live_server + path)
        page.click("[data-testid=scan-start]")
        expect(page.locator("[data-testid=scanner-video]")).to_be_visible()
        expect(page.locator("[data-outcome=checked_in]")).to_contain_text("Dan", timeout=15_000)
        expect(page.locator("[data-testid=count-arrived]")).to_have_text("1")
        page.wait_for_timeout(1500)      # the code stays in front of the camera: still one check-in
        expect(page.locator("[data-testid=count-arrived]")).to_have_text("1")
        shot(page, "checkin-390-camera-en")
        page.click("[data-scan-stop]")
        expect(page.locator("[data-testid=scanner-video]")).to_be_hidden()
        camera.close()
    assert errors == []
