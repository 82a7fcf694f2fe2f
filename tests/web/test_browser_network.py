"""The influence network in real Chromium: the picture draws (no CSP or script errors), a tap on a member opens
their profile, and it fits a phone's width."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from tenants.community.models import Activity, Member
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tests.support import factories
from tests.support.browser import console_errors, shot
from tests.support.http import PASSWORD


def test_network_draws_and_a_tap_opens_the_member(live_server, browser):  # noqa: F811
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    with tenant_scope(a.id, o.id), job_session() as s:
        people = []
        for n, stage in enumerate(("advocate", "loyal", "active", "participant", "newcomer")):
            m = Member(org_id=o.id, display_name=f"Person {n}", sort_name=f"person {n}", stage=stage,
                       influence=90.0 - n * 10, influence_raw=10.0 - n)
            s.add(m)
            s.flush()
            people.append(m)
        for n, m in enumerate(people[1:]):
            s.add(Activity(org_id=o.id, member_id=m.id, target_member_id=people[0].id, type="reply",
                           channel="telegram", occurred_at=utcnow() - timedelta(days=n), source_id=f"r{n}"))
        target = people[2].public_id
        s.commit()
    for width in (1280, 390):
        page = browser.new_page(viewport={"width": width, "height": 800})
        errors = console_errors(page)
        page.goto(live_server + "/login")
        page.fill("#email", "o@acme.test")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.goto(live_server + "/acme/coffee/leaders/network")
        expect(page.locator("[data-network][data-ready=true] canvas").first).to_be_visible(timeout=20000)
        expect(page.locator("[data-network-summary]")).to_have_text("5 members · 4 connections")
        box = page.locator("[data-network]").bounding_box()
        assert box["width"] <= width and page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"40-network-{width}")
        if width > 500:         # a real click where the node is drawn
            page.locator("[data-network]").scroll_into_view_if_needed()
            x, y = page.evaluate("""id => { const n = window.communaNetwork.$id(id), p = n.renderedPosition(),
                r = n.cy().container().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""", target)
            page.mouse.click(x, y)
        else:                   # the tap Cytoscape fires for a touch
            page.evaluate("id => window.communaNetwork.$id(id).emit('tap')", target)
        page.wait_for_url(f"**/acme/coffee/members/{target}")
        expect(page.locator("h1")).to_contain_text("Person 2")
        assert errors == []
        page.close()
