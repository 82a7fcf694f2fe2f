"""The dashboard and the scoring model in real Chromium: charts render in English and Russian; change a
weight, preview, save, watch the recompute finish and the numbers change."""
from __future__ import annotations

import re
import subprocess
import sys
import threading

from playwright.sync_api import expect

from tenants.core.config import ROOT
from tests.support.browser import choose_language, console_errors, shot


def _login(page, base, email="owner@demo.communa.test"):
    from tenants.demo.seed import DEMO_PASSWORD
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")


def _chart_drawn(page, testid: str) -> bool:
    """A canvas Chart.js has drawn on has non-blank pixels."""
    return page.evaluate("""id => { const c = document.querySelector(`[data-testid=${id}]`);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true; return false; }""", testid)


def test_dashboard_charts_in_both_languages_then_reweight_and_recompute(live_server, browser, worker_env):  # noqa: F811
    from tenants.demo.seed import seed
    seed(400)
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    errors = console_errors(page)
    _login(page, live_server)
    page.goto(live_server + "/demo/nordic-coffee/?days=90")
    expect(page.locator("[data-testid=kpi-members] .kpi-value")).not_to_have_text("0")
    for chart in ("chart-active", "chart-stages", "chart-types", "chart-channels"):
        expect(page.locator(f"[data-testid={chart}]")).to_be_visible()
        page.wait_for_function("id => !!Chart.getChart(document.querySelector(`[data-testid=${id}]`))", arg=chart)
        assert _chart_drawn(page, chart), chart
    expect(page.locator("[data-testid=top-members] tr")).not_to_have_count(0)
    expect(page.locator("[data-testid=score-status]")).to_contain_text("Scores computed")
    shot(page, "30-dashboard")
    loyal = page.locator("[data-testid=kpi-loyal-advocates] .kpi-value").inner_text()

    # Russian: the same page, translated, charts drawn.
    choose_language(page, "ru")
    page.goto(live_server + "/demo/nordic-coffee/?days=30")
    expect(page.locator("[data-testid=kpi-active] .kpi-label")).to_have_text("Активные участники")
    page.wait_for_function("() => !!Chart.getChart(document.querySelector('[data-testid=chart-active]'))")
    assert _chart_drawn(page, "chart-active")
    shot(page, "31-dashboard-ru")
    choose_language(page, "en")

    # Reviews weigh 40 instead of 5: preview says members move up, nobody moves down.
    page.goto(live_server + "/demo/nordic-coffee/scoring/")
    expect(page.locator("[data-testid=model-version]")).to_have_text("version 1")
    page.fill("[data-testid=weight-review]", "40")
    page.fill("[data-testid=weight-message]", "3")
    page.click("[data-testid=preview]")
    expect(page.locator("[data-testid=preview-result]")).to_contain_text("move up")
    expect(page.locator("[data-testid=preview-result]")).to_contain_text("0 members move down")
    shot(page, "32-scoring-preview")
    page.click("[data-testid=save-model]")
    expect(page.locator(".flash-success")).to_contain_text("Version 2 saved")
    expect(page.locator("[data-testid=score-status]")).to_contain_text("Computing")
    worker = threading.Thread(target=lambda: subprocess.run(
        [sys.executable, "-m", "web.cli", "worker", "--burst"], env=worker_env, cwd=ROOT, capture_output=True,
        timeout=180))
    worker.start()
    expect(page.locator("[data-testid=score-status]")).to_contain_text("Scores computed", timeout=60000)
    worker.join()
    expect(page.locator("[data-testid=kpi-loyal-advocates] .kpi-value")).not_to_have_text(loyal)
    after = int(page.locator("[data-testid=kpi-loyal-advocates] .kpi-value").inner_text().replace(",", ""))
    assert after > int(loyal.replace(",", ""))
    for chart in ("chart-active", "chart-stages", "chart-types", "chart-channels"):   # redrawn after the swap
        page.wait_for_function("id => !!Chart.getChart(document.querySelector(`[data-testid=${id}]`))", arg=chart)
        assert _chart_drawn(page, chart), chart
    shot(page, "33-dashboard-after-recompute")

    # A member's "why this stage?" panel.
    page.click("[data-testid=top-members] a >> nth=0")
    expect(page.locator("[data-testid=why-stage]")).to_contain_text("Why this stage?")
    shot(page, "34-member-why-stage")
    assert errors == [], errors


def _member_total(page) -> int:
    total = page.locator("[data-testid=member-total]")
    expect(total).not_to_contain_text("Counting")
    return int(total.inner_text().split()[0].replace(",", ""))


def _click_cell(page, testid: str, pick: str) -> int:
    """Click the matrix cell `pick` chooses (a JS predicate over the chart's points); returns its count."""
    page.wait_for_function("id => !!Chart.getChart(document.querySelector(`[data-testid=${id}]`))", arg=testid)
    found = page.evaluate("""([id, pick]) => {
        const canvas = document.querySelector(`[data-testid=${id}]`), chart = Chart.getChart(canvas);
        const points = chart.data.datasets[0].data, test = new Function('p', 'return ' + pick);
        let best = -1;
        points.forEach((p, i) => { if (p.href && test(p) && (best < 0 || p.v > points[best].v)) best = i; });
        if (best < 0) return null;
        const c = chart.getDatasetMeta(0).data[best].getCenterPoint();
        return {x: c.x, y: c.y, v: points[best].v};
    }""", [testid, pick])
    assert found, f"no cell in {testid} for {pick}"
    page.locator(f"[data-testid={testid}]").click(position={"x": found["x"], "y": found["y"]})
    page.wait_for_url("**/members/**")
    return found["v"]


def test_dashboard_numbers_link_to_their_members(live_server, browser):  # noqa: F811
    """KPI cards and matrix cells open the members list filtered to exactly the members they count."""
    from tenants.demo.seed import seed
    seed(400)
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    errors = console_errors(page)
    _login(page, live_server)
    dashboard = live_server + "/demo/nordic-coffee/?days=30"
    page.goto(dashboard)
    for kpi in ("kpi-active", "kpi-new", "kpi-returning", "kpi-churned"):
        page.goto(dashboard)
        value = int(page.locator(f"[data-testid={kpi}] .kpi-value").inner_text().replace(",", ""))
        assert value > 0, kpi
        page.click(f"[data-testid={kpi}] .kpi-value a")
        expect(page.locator("[data-testid=segment]")).to_be_visible()
        assert _member_total(page) == value, kpi
    shot(page, "35-members-from-dashboard")

    # A stage move (someone who moved up) and a cohort cell a few months on.
    page.goto(dashboard)
    n = _click_cell(page, "chart-movement", "p.x !== p.y && p.href.includes('from_stage=newcomer')")
    expect(page.locator("[data-testid=segment]")).to_contain_text("→")
    assert _member_total(page) == n
    page.goto(dashboard)
    n = _click_cell(page, "chart-cohorts", "p.x === '2'")
    expect(page.locator("[data-testid=segment]")).to_contain_text("First seen")
    assert _member_total(page) == n

    # A bar of "activity by type" opens the members who did that in the period.
    page.goto(dashboard)
    page.wait_for_function("() => !!Chart.getChart(document.querySelector('[data-testid=chart-types]'))")
    bar = page.evaluate("""() => { const c = Chart.getChart(document.querySelector('[data-testid=chart-types]'));
        const p = c.getDatasetMeta(0).data[0].getCenterPoint(); return {x: p.x, y: p.y}; }""")
    page.locator("[data-testid=chart-types]").click(position=bar)
    page.wait_for_url("**/members/**activity_type=**")
    expect(page.locator("[data-testid=segment]")).to_contain_text("Activity:")
    assert _member_total(page) > 0

    # The movement matrix follows the month chosen; Russian month names and labels.
    page.goto(dashboard)
    select = page.locator("[data-movement-month]")
    before = page.locator("[data-testid=movement-summary]").inner_text()
    select.select_option(index=3)
    expect(page.locator("[data-testid=movement-summary]")).not_to_have_text(before)
    choose_language(page, "ru")
    page.goto(dashboard)
    expect(page.locator("[data-testid=kpi-churned] .kpi-label")).to_have_text("Ушли")
    expect(page.locator("[data-movement-month] option").first).to_have_text(re.compile("[а-я]"))
    page.wait_for_function("() => !!Chart.getChart(document.querySelector('[data-testid=chart-cohorts]'))")
    assert _chart_drawn(page, "chart-cohorts") and _chart_drawn(page, "chart-movement")
    shot(page, "36-dashboard-cohorts-ru")
    choose_language(page, "en")
    assert errors == [], errors
