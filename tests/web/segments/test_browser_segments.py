"""The segment builder in real Chromium, in English and in Russian: build a rule of two groups, watch the live
count follow, save, open the segment page; and the pages at phone width without sideways scrolling."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import choose_language, console_errors, settled, shot, wide_tables
from tests.support.http import PASSWORD

from .conftest import make

TEXT = {"en": {"count": "{n} members", "saved": "Segment saved.", "problem": "enter a number",
               "no_field": "choose a field", "eq": "is"},
        "ru": {"count": "{n} участник", "saved": "Сегмент сохранён.", "problem": "введите число",
               "no_field": "выберите поле", "eq": "равно"}}


def _open(browser, base, lang, width=1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors = console_errors(page)
    page.goto(base + "/login")
    page.fill("#email", "o@acme.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(base + "/acme/coffee/segments/")
    if lang == "ru":
        choose_language(page, "ru")
        expect(page.locator("h1")).to_have_text("Сегменты")
    return page, errors


def _pick(page, selector, value):
    settled(page)
    page.select_option(selector, value)
    settled(page)


def _count(page):
    return page.locator("[data-testid=preview-count]")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_build_a_two_group_rule_watch_the_count_save_and_open(live_server, browser, world, lang):
    page, errors = _open(browser, live_server, lang)
    page.click("[data-testid=new-segment]")
    page.fill("[data-testid=segment-name]", "Warm" if lang == "en" else "Тёплые")
    expect(_count(page)).to_have_text(re.compile(r"^5 "))          # no condition yet: everyone (people)
    settled(page)
    page.click("[data-testid=add-condition]")
    page.locator("select[name='rules.all[0].field']").wait_for()
    expect(page.locator("#preview .preview-problems")).to_have_text(TEXT[lang]["no_field"])   # says what is missing
    _pick(page, "select[name='rules.match']", "any")
    page.locator("select[name='rules.any[0].field']").wait_for()
    _pick(page, "select[name='rules.any[0].field']", "stage")
    expect(page.locator("select[name='rules.any[0].op']")).to_have_value("eq")
    expect(page.locator("select[name='rules.any[0].op'] option[value=eq]")).to_have_text(TEXT[lang]["eq"])
    _pick(page, "select[name='rules.any[0].op']", "in")
    expect(page.locator("select[name='rules.any[0].value'][multiple]")).to_be_visible()
    _pick(page, "select[name='rules.any[0].value']", ["loyal", "advocate"])
    expect(_count(page)).to_have_text(re.compile(r"^2 "))
    settled(page)
    page.click("[data-testid=add-group] >> nth=0")
    field = page.locator("select[name='rules.any[1].all[0].field']")
    expect(field).to_be_visible()
    _pick(page, "select[name='rules.any[1].all[0].field']", "channel")
    value = page.locator("select[name='rules.any[1].all[0].value']")
    expect(value).to_be_visible()
    _pick(page, "select[name='rules.any[1].all[0].value']", "email")
    expect(_count(page)).to_have_text(re.compile(r"^3 "))              # + dan
    expect(page.locator("#preview")).to_contain_text("Dan")
    # A bad value shows its problem beside its condition on save (422), the rest as it was.
    page.click("fieldset[data-path='rules.any[1]'] [data-testid=add-condition]")
    page.locator("select[name='rules.any[1].all[1].field']").wait_for()
    _pick(page, "select[name='rules.any[1].all[1].field']", "engagement")
    page.locator("input[name='rules.any[1].all[1].value']").wait_for()
    page.click("[data-testid=save]")
    bad = page.locator("[data-path='rules.any[1].all[1]'] [data-testid=problem]")
    expect(bad).to_have_text(TEXT[lang]["problem"])
    shot(page, f"builder-error-{lang}-1280")
    page.locator("[data-path='rules.any[1].all[1]'] [data-testid=remove-condition]").click()
    expect(page.locator("[data-path='rules.any[1].all[1]']")).to_have_count(0)
    expect(_count(page)).to_have_text(re.compile(r"^3 "))
    page.click("[data-testid=save]")
    expect(page.locator(".flash-success")).to_have_text(TEXT[lang]["saved"])
    expect(page.locator("[data-testid=segment-member]")).to_have_count(3)
    expect(page.locator("[data-testid=no-history]")).to_be_visible()
    expect(page.locator("[data-testid=rule-words]")).to_contain_text("Email" if lang == "en" else "Эл. почта")
    shot(page, f"segment-page-{lang}-1280")
    page.goto(live_server + "/acme/coffee/segments/")
    expect(page.locator("[data-testid=segment-row]")).to_have_count(1)
    shot(page, f"list-{lang}-1280")
    assert [e for e in errors if "status of 422" not in e] == []        # the refused save is a 422


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_pages_fit_a_phone(live_server, browser, world, lang):
    sid = make(world, {"name": "Loyal and promoters, a long name to wrap", "kind": "dynamic",
                       "description": "Members to invite to the beta first; they answer surveys.",
                       "rules": {"any": [{"field": "stage", "op": "in", "value": ["loyal", "advocate"]},
                                         {"all": [{"field": "activity", "op": "gte",
                                                   "value": {"type": "message", "count": 3, "within_days": 30}},
                                                  {"field": "nps", "op": "eq", "value": "promoter"}]}]}})
    make(world, {"name": "Hand-picked", "kind": "static"})
    _history(world, sid)
    page, errors = _open(browser, live_server, lang, width=390)
    for name, path in (("list", "/"), ("segment-page", f"/{sid}"), ("builder", f"/{sid}/edit")):
        page.goto(live_server + "/acme/coffee/segments" + path)
        if name == "segment-page":
            expect(page.locator("[data-testid=chart-trend]")).to_be_visible()
        if name == "builder":
            expect(_count(page)).to_be_visible()
            page.fill("input[name='rules.any[1].all[0].value.count']", "")
            page.click("[data-testid=save]")
            expect(page.locator("[data-testid=problem]")).to_have_count(1)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (name, width)
        assert wide_tables(page) == [], name            # the list and the members fit their cards too
        shot(page, f"{name}-{lang}-390")
    assert [e for e in errors if "status of 422" not in e] == []        # the refused save is a 422


def _history(world, sid):
    """A week of daily snapshots, the rule edited midway (so the trend has points and the week has moves)."""
    from datetime import timedelta

    from tenants.core.audit import Actor
    from tenants.core.context import tenant_scope
    from tenants.core.db import job_session
    from tenants.segments import service, snapshot
    from tests.support.segments import NOW
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        segment = service.by_public_id(s, world.org.id, sid)
        for ago in range(6, 2, -1):
            snapshot.snapshot(s, segment, NOW.date() - timedelta(days=ago))
        rules = {"any": [*segment.rules["any"], {"field": "channel", "op": "eq", "value": "email"}]}
        service.update_segment(s, segment, {"rules": rules}, Actor(email="t"))
        for ago in (2, 1, 0):
            snapshot.snapshot(s, segment, NOW.date() - timedelta(days=ago))
        s.commit()
