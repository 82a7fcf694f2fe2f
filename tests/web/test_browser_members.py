"""Members and imports in real Chromium: import a CSV and watch the progress bar finish; merge two members."""
from __future__ import annotations

import re
import subprocess
import sys
import threading
from datetime import UTC, datetime

from playwright.sync_api import expect

from tenants.community.validate import ActivityIn, IdentityRef
from tenants.core.config import ROOT
from tests.support import factories
from tests.support.browser import console_errors, shot
from tests.support.http import PASSWORD

CSV = ("ИД;ФИО;Эл. почта;Город;Теги\n"
       "1;Юлия Ковалёва;yulia@x.test;Казань;vip\n"
       "2;Борис Ким;boris@x.test;Москва;\n"
       "3;Вера Орлова;не почта;;\n").encode("cp1251")


def _login(page, base):
    page.goto(base + "/login")
    page.fill("#email", "o@acme.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_import_csv_watch_progress_then_merge_duplicates(live_server, browser, worker_env, tmp_path):  # noqa: F811
    a = factories.agency("Acme", "o@acme.test")
    coffee = factories.org(a, "Coffee")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = console_errors(page)
    _login(page, live_server)
    page.goto(live_server + "/acme/coffee/imports/")
    shot(page, "20-import-upload")
    path = tmp_path / "участники.csv"
    path.write_bytes(CSV)
    page.set_input_files("#file", str(path))
    page.click("button:has-text('Upload')")
    expect(page.locator("h1")).to_have_text("Check the columns")
    expect(page.locator("[data-testid=map-0]")).to_have_value("external_id")
    expect(page.locator("[data-testid=map-1]")).to_have_value("display_name")
    page.select_option("#default_channel", "vk")
    shot(page, "21-import-mapping")
    page.click("text=Start import")
    expect(page.locator("[data-testid=job-progress]")).to_be_visible()
    worker = threading.Thread(target=lambda: subprocess.run(
        [sys.executable, "-m", "web.cli", "worker", "--burst"], env=worker_env, cwd=ROOT, capture_output=True,
        timeout=120))
    worker.start()
    expect(page.locator("[data-testid=job-done]")).to_be_visible(timeout=30000)
    worker.join()
    expect(page.locator("[data-testid=imported]")).to_have_text("2")
    expect(page.locator("[data-testid=rejected]")).to_have_text("1")
    expect(page.locator(".import-result")).to_contain_text("email is not a valid address")
    shot(page, "22-import-result")

    # A second identity of Юлия on Telegram, spelled in Latin: the duplicates page suggests a merge.
    factories.ingest_into(a, coffee, [ActivityIn(IdentityRef("telegram", "777", display_name="Yulia Kovaleva"),
                                                 "message", datetime(2026, 5, 2, tzinfo=UTC), "m1", "telegram")])
    page.click("text=See the members")
    expect(page.locator("[data-testid=member-total]")).to_have_text("3 members")
    shot(page, "23-members")
    page.click("text=Duplicates")
    expect(page.locator("[data-testid=suggestion]")).to_have_count(1)
    shot(page, "24-duplicates")
    page.click("[data-testid=suggestion] >> text=Merge into")
    expect(page.locator("[data-testid=duplicates-message]")).to_contain_text("1 group merged")
    expect(page.locator("[data-testid=suggestion]")).to_have_count(0)
    page.click("[data-testid=merged-survivor]")
    expect(page.locator(".identities")).to_contain_text("777")
    shot(page, "25-member-merged")
    shot(page, "25b-before-undo")
    page.click("button:has-text('Undo')")
    expect(page.locator(".flash-success")).to_contain_text("separate member again")
    page.goto(live_server + "/acme/coffee/members/")
    expect(page.locator("[data-testid=member-total]")).to_have_text("3 members")
    page.fill("#q", "ковал")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    assert re.search("acme/coffee/members/\\?q=", page.url)
    assert errors == []


def test_bulk_merge_of_duplicate_groups(live_server, browser):  # noqa: F811
    a = factories.agency("Acme", "o@acme.test")
    coffee = factories.org(a, "Coffee")
    factories.ingest_into(a, coffee, [
        ActivityIn(IdentityRef(channel, ext, handle=handle, display_name=name), "message",
                   datetime(2026, 5, 1, n, tzinfo=UTC), f"b{n}", channel)
        for n, (channel, ext, handle, name) in enumerate([
            ("telegram", "1", "@marat_k", "Марат Каримов"), ("vk", "2", "marat_k", "Marat Karimov"),
            ("email", "3", None, "Marat Karimoff"), ("telegram", "4", "@anna_l", "Анна Лебедева"),
            ("instagram", "5", "anna_l", "Anna L."), ("telegram", "6", "@solo", "Boris Kim")])])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = console_errors(page)
    _login(page, live_server)
    page.goto(live_server + "/acme/coffee/members/duplicates")
    expect(page.locator("[data-testid=duplicates-total]")).to_have_text("2 possible duplicates")
    groups = page.locator("[data-testid=suggestion]")
    expect(groups.first).to_contain_text("Marat Karimoff")          # three spellings of one person, one group
    expect(groups.first.locator(".chan")).to_have_count(3)
    page.check("[data-select-all]")
    page.click("[data-testid=bulk-merge]")
    expect(page.locator("[data-testid=duplicates-message]")).to_contain_text("2 groups merged")
    expect(page.locator("[data-testid=duplicates-total]")).to_have_text("0 possible duplicates")
    expect(page.locator("[data-testid=merged-survivor]")).to_have_count(2)
    page.goto(live_server + "/acme/coffee/members/")
    expect(page.locator("[data-testid=member-total]")).to_have_text("3 members")
    assert errors == []
