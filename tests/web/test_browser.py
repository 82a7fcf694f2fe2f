"""The UI in real headless Chromium (Debian's package, driven by Playwright).

Sign up, create an organisation, invite a manager, accept in a fresh browser, switch to Russian; plus the
audit export's progress bar. Screenshots of the main pages land in test-artifacts/ to be looked at.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tenants.core.config import ROOT
from tenants.core.db import system_scope
from tenants.core.models import OutboxMail
from tests.support.browser import ARTIFACTS, console_errors, shot
from tests.support.http import PASSWORD

pytestmark = pytest.mark.browser


def test_signup_org_invite_accept_and_russian(live_server, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    page = ctx.new_page()
    errors = console_errors(page)
    page.goto(live_server + "/signup")
    shot(page, "01-signup")
    page.fill("#agency_name", "Bright Agency")
    page.fill("#name", "Bea Bright")
    page.fill("#email", "bea@bright.test")
    page.click("button[type=submit]")
    expect(page.locator("[data-testid=signup-sent]")).to_be_visible()
    with system_scope() as s:
        body = s.scalar(select(OutboxMail.body).where(OutboxMail.to_address == "bea@bright.test"))
    page.goto(live_server + re.search(r"https?://[^/\s]+(/signup/\S+)", body).group(1))
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/bright-agency/$"))
    expect(page.locator("h1")).to_have_text("Client organisations")

    page.fill("#new-org-name", "Nordic Coffee")
    page.click("text=Create")
    expect(page.locator("[data-testid=org-card]")).to_have_count(1)
    expect(page.locator("#org-nav")).to_contain_text("Nordic Coffee")     # sidebar refreshed by HX-Trigger
    shot(page, "02-agency-home")

    page.click("text=People")
    page.fill("#email", "max@bright.test")
    page.select_option("#role", "manager")
    page.get_by_label("Nordic Coffee").check()
    page.click("text=Send invitation")
    expect(page.locator("#invite")).to_contain_text("Invitation sent to max@bright.test")
    expect(page.locator("[data-testid=invitations]")).to_contain_text("max@bright.test")
    shot(page, "03-people")

    with system_scope() as s:
        body = s.scalar(select(OutboxMail.body).where(OutboxMail.to_address == "max@bright.test"))
    link = live_server + re.search(r"https?://[^/\s]+(/invite/\S+)", body).group(1)     # PUBLIC_URL's path

    invitee_ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    invitee = invitee_ctx.new_page()
    invitee_errors = console_errors(invitee)
    invitee.goto(link)
    expect(invitee.locator("h1")).to_have_text("Join Bright Agency")
    shot(invitee, "04-accept-invitation")
    invitee.fill("#name", "Max Manager")
    invitee.fill("#password", PASSWORD)
    invitee.click("button[type=submit]")
    expect(invitee).to_have_url(re.compile(r"/bright-agency/$"))
    expect(invitee.locator("[data-testid=org-card]")).to_have_text(re.compile("Nordic Coffee"))
    expect(invitee.locator("text=People")).to_have_count(0)        # managers do not manage people

    invitee.click(".sidebar button[value=ru]")
    expect(invitee.locator("h1")).to_have_text("Организации клиентов")
    expect(invitee.locator(".sidebar")).to_contain_text("Выйти")
    shot(invitee, "05-agency-home-ru")
    invitee.click("text=Nordic Coffee >> nth=0")
    expect(invitee.locator("h1")).to_contain_text("Nordic Coffee")
    expect(invitee.locator("body")).to_contain_text("Кто работает с организацией")
    shot(invitee, "06-org-overview-ru")
    assert errors == [] and invitee_errors == []
    ctx.close()
    invitee_ctx.close()


def test_audit_export_progress_bar_finishes(live_server, browser):
    from tenants.accounts import users
    users.create_agency("Bright Agency", "Bea", "bea@bright.test", PASSWORD)
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    errors = console_errors(page)
    page.goto(live_server + "/login")
    shot(page, "00-login")
    page.fill("#email", "bea@bright.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.click("text=Audit log")
    expect(page.locator("#audit-table")).to_contain_text("Logged in")
    page.select_option("#action", "login")
    expect(page).to_have_url(re.compile(r"action=login"))
    expect(page.locator("#audit-table tbody tr")).to_have_count(1)
    page.click("text=Export CSV")
    # The test app has REDIS_URL, so a real worker must take the job: run one in burst mode.
    expect(page.locator("[data-testid=job-progress]")).to_be_visible()
    import subprocess
    import sys
    env = dict(__import__("os").environ)
    from tenants.core.config import get_settings
    s = get_settings()
    env.update(DATABASE_URL=s.database_url, SYSTEM_DATABASE_URL=s.system_database_url, REDIS_URL=s.redis_url,
               SECRET_KEY=s.secret_key, PUBLIC_URL=s.public_url)
    subprocess.run([sys.executable, "-m", "web.cli", "worker", "--burst"], env=env, check=True, timeout=120,
                   capture_output=True, cwd=ROOT)
    expect(page.locator("[data-testid=job-done]")).to_be_visible(timeout=15000)
    expect(page.locator("[data-testid=job-done] a")).to_contain_text("Download")
    shot(page, "07-audit-export")
    assert errors == []


def test_screenshots_of_demo_pages(live_server, browser):
    from tenants.demo.seed import DEMO_PASSWORD, seed
    seed(400)
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    errors = console_errors(page)
    page.goto(live_server + "/login")
    page.fill("#email", "owner@demo.communa.test")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    for path, name in (("/demo/", "10-demo-home"), ("/demo/people/", "11-demo-people"),
                       ("/demo/nordic-coffee/", "12-demo-org"),
                       ("/demo/nordic-coffee/settings", "13-demo-org-settings"),
                       ("/account/", "14-account"), ("/demo/nordic-coffee/members/", "17-demo-members"),
                       ("/demo/nordic-coffee/integrations/", "18-demo-integrations"),
                       ("/demo/nordic-coffee/members/attributes", "19-demo-custom-fields")):
        page.goto(live_server + path)
        shot(page, name)
    page.goto(live_server + "/demo/people/")
    page.click("tr:has-text('Maria Manager') >> text=Edit")
    expect(page.locator("tr.editing")).to_be_visible()
    shot(page, "16-demo-people-edit")
    assert errors == []
    page.goto(live_server + "/demo/nope/")
    shot(page, "15-not-found")
    assert Path(ARTIFACTS / "10-demo-home.png").stat().st_size > 10_000
