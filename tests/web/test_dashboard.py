"""The dashboard's links into the members list (segments), its date range, and that neither reaches another
organisation's members."""
from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tenants import scoring
from tenants.community.ingest import ingest
from tenants.community.validate import ActivityIn, IdentityRef
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.metrics import rollups
from tests.support import factories
from tests.support.http import login, post

NOW = datetime.now(UTC)


def act(ext: str, days_ago: int, kind: str = "message", n: int = 0, meta: dict | None = None) -> ActivityIn:
    return ActivityIn(IdentityRef("telegram", ext, display_name=ext.title()), kind,
                      NOW - timedelta(days=days_ago, minutes=n), f"{ext}-{days_ago}-{kind}-{n}", "telegram",
                      meta=meta or {})


def fill(a, o, prefix: str) -> None:
    """old: active 40 days ago only (churned); back: 40 days ago and now (not returning: active in both);
    gap: 70 days ago and now (returning); new: first seen now; fan: an NPS promoter now."""
    items = [act(f"{prefix}-old", 40), act(f"{prefix}-back", 40), act(f"{prefix}-back", 1),
             act(f"{prefix}-gap", 70), act(f"{prefix}-gap", 2), act(f"{prefix}-new", 3),
             act(f"{prefix}-fan", 75), act(f"{prefix}-fan", 4, "survey_answer", meta={"nps": 10})]
    with tenant_scope(a.id, o.id), job_session() as s:
        ingest(s, o.id, items)
        scoring.full(s, o.id)
        rollups.rollup(s, o.id)


@pytest.fixture
def world(client):
    a = factories.agency("Acme", "o@acme.test")
    b = factories.agency("Beta", "o@beta.test")
    coffee, tea, other = factories.org(a, "Coffee"), factories.org(a, "Tea"), factories.org(b, "Gamma")
    fill(a, coffee, "c")
    fill(a, tea, "t")
    fill(b, other, "g")
    factories.person(a, "m@acme.test", "manager", [coffee.id])
    return a, coffee, tea


def names(html: str) -> set[str]:
    return set(re.findall(r'class="member-link".*?<strong>([^<]+)</strong>', html))


def test_segments_list_exactly_their_members_and_only_this_organisations(client, world):
    login(client, "m@acme.test")
    day = NOW.date()
    start, prev_start, prev_end = day - timedelta(days=29), day - timedelta(days=59), day - timedelta(days=30)
    base = "/acme/coffee/members/?"
    q = f"active_from={start}&active_to={day}"
    assert names(client.get(base + q).text) == {"C-Back", "C-Gap", "C-New", "C-Fan"}
    assert names(client.get(base + f"seen_from={start}&seen_to={day}").text) == {"C-New"}
    returning = f"{q}&quiet_from={prev_start}&quiet_to={prev_end}&seen_to={prev_end}"
    assert names(client.get(base + returning).text) == {"C-Gap", "C-Fan"}
    churned = f"active_from={prev_start}&active_to={prev_end}&quiet_from={start}&quiet_to={day}"
    page = client.get(base + churned).text
    assert names(page) == {"C-Old"} and 'data-testid="segment"' in page and "No activity" in page
    assert names(client.get(base + q + "&nps=promoter").text) == {"C-Fan"}
    assert names(client.get(base + q + "&nps=detractor").text) == set()
    first = (NOW - timedelta(days=3)).date()       # C-New's first activity (in last month early in a month)
    month = f"{first.year:04d}-{first.month:02d}"
    joined = names(client.get(base + f"month={month}&to_stage=newcomer&from_stage=none").text)
    assert joined and all(n.startswith("C-") for n in joined)
    # The counts the list fetches agree, and bad values are ignored rather than failing.
    count = client.get(f"/acme/coffee/members/count?{churned}", headers={"HX-Request": "true"}).text
    assert "1 member" in count
    assert client.get(base + "active_from=yesterday&month=13-99&nps=fans").status_code == 200
    # The manager of Coffee cannot ask Tea's list, with or without a segment.
    assert client.get(f"/acme/tea/members/?{q}").status_code == 404


def test_dashboard_numbers_and_range(client, world):
    login(client, "m@acme.test")
    page = client.get("/acme/coffee/?days=30").text
    value = re.search(r'data-testid="kpi-churned".*?kpi-value"><a href="([^"]+)">([\d,]+)<', page, re.S)
    assert value and value.group(2) == "1"
    assert names(client.get(value.group(1).replace("&amp;", "&")).text) == {"C-Old"}
    assert 'data-testid="kpi-nps"' in page and "+100" in page
    bad = client.get(f"/acme/coffee/?start={NOW.date()}&end={NOW.date() - timedelta(days=5)}").text
    assert 'data-testid="range-error"' in bad and 'class="chip active"' in bad
    good = client.get(f"/acme/coffee/?start={NOW.date() - timedelta(days=5)}&end={NOW.date()}").text
    assert 'data-testid="range-error"' not in good


def test_a_month_with_one_nps_answer_is_not_charted_and_the_page_says_so(client, world):
    """C-Fan's single answer makes the period's NPS card (+100, "1 answer"), but no NPS line: the month is named
    among those with too few answers."""
    login(client, "m@acme.test")
    page = client.get("/acme/coffee/?days=30").text
    assert 'data-testid="kpi-nps"' in page and "1 answer" in page
    assert 'data-chart="nps"' not in page and "No month has 10 answers yet" in page
    hidden = re.search(r'data-testid="nps-hidden">(.*?)</p>', page, re.S).group(1)
    assert "Not charted, fewer than 10 answers:" in hidden and "(1 answer)." in hidden
    dash = json.loads(html.unescape(re.search(r"data-dash='([^']*)'", page).group(1)))
    month = dash["nps"]["answers"].index(1)         # four days ago: this month or the one before
    assert sum(dash["nps"]["answers"]) == 1 and dash["nps"]["hidden"] == [month]
    assert set(dash["nps"]["scores"]) == {None} and dash["nps_answers"][month] == "1 answer"
    post(client, "/lang", {"lang": "ru", "next": "/acme/coffee/"})
    ru = client.get("/acme/coffee/?days=30").text
    assert "Не показаны, меньше 10 ответов:" in ru and "(1 ответ)." in ru


def test_member_months_of_one_organisation_leave_the_others_alone(world):
    a, coffee, tea = world
    with system_scope() as s:
        before = dict(s.execute(text("SELECT org_id, count(*) FROM member_month GROUP BY org_id")).all())
    assert len(before) == 3 and all(before.values())
    with tenant_scope(a.id, coffee.id), job_session() as s:
        rollups.member_months(s, coffee.id)
        s.commit()
        seen = s.scalar(text("SELECT count(DISTINCT org_id) FROM member_month"))   # RLS: this agency's rows only
    assert seen == 2                                         # Coffee and Tea; Beta's Gamma stays invisible
    with system_scope() as s:
        after = dict(s.execute(text("SELECT org_id, count(*) FROM member_month GROUP BY org_id")).all())
    assert after == before


def test_cached_panels_never_cross_organisations_or_readers_and_follow_the_scores(app, client, world):
    a, coffee, tea = world
    factories.person(a, "c@acme.test", "client", [coffee.id])
    login(client, "o@acme.test")
    first = client.get("/acme/coffee/?days=30").text
    assert "C-Back" in first and "T-Back" not in first and 'href="/acme/coffee/members/' in first
    other = client.get("/acme/tea/?days=30").text
    assert "T-Back" in other and "C-Back" not in other
    assert client.get("/acme/coffee/?days=30").text.count("C-Back") == first.count("C-Back")   # from the cache
    # The client reads the same organisation and period after the owner: no links to the staff-only list.
    with app.test_client() as reader:
        login(reader, "c@acme.test")
        seen = reader.get("/acme/coffee/?days=30").text
        assert "C-Back" in seen and "/members/" not in seen
        assert reader.get("/acme/tea/?days=30").status_code == 404
    # New scores replace the cached panels.
    with tenant_scope(a.id, coffee.id), job_session() as s:
        ingest(s, coffee.id, [act("c-star", 1, "review", n) for n in range(30)])
        scoring.full(s, coffee.id)
    assert "C-Star" in client.get("/acme/coffee/?days=30").text


def test_a_new_organisation_gets_a_dashboard_that_says_what_will_fill_it(client, world):
    a, _coffee, _tea = world
    factories.org(a, "Fresh")
    login(client, "o@acme.test")
    page = client.get("/acme/fresh/").text
    assert 'data-testid="empty-org"' in page and "/acme/fresh/imports/" in page
    assert "Monthly figures appear after the first metrics pass" in page
    assert 'data-chart="cohorts"' not in page and "No activity in this period." in page
    filled = client.get("/acme/coffee/").text
    assert 'data-testid="empty-org"' not in filled and 'data-chart="cohorts"' in filled


def test_activity_type_and_channel_segments(client, world):
    login(client, "m@acme.test")
    day = NOW.date()
    q = f"/acme/coffee/members/?active_from={day - timedelta(days=29)}&active_to={day}"
    assert names(client.get(q + "&activity_type=survey_answer").text) == {"C-Fan"}
    assert names(client.get(q + "&activity_type=message").text) == {"C-Back", "C-Gap", "C-New"}
    assert names(client.get(q + "&activity_channel=telegram").text) == {"C-Back", "C-Gap", "C-New", "C-Fan"}
    assert names(client.get(q + "&activity_channel=vk").text) == set()
    assert "Activity: Survey answer" in client.get(q + "&activity_type=survey_answer").text


def test_the_sidebar_lists_a_dozen_organisations_and_links_to_all(app, client, world):
    a, _coffee, _tea = world
    for i in range(12):
        factories.org(a, f"Zeta {i:02d}")           # 14 in all; "Zeta 11" sorts last
    login(client, "o@acme.test")
    page = client.get("/acme/coffee/").text
    assert 'data-testid="nav-all-orgs"' in page and "All 14 organisations" in page
    assert page.count('class="nav-link nav-org') == 12 and "Zeta 11" not in page
    last = client.get("/acme/zeta-11/").text           # the current organisation is always in the list
    assert "Zeta 11" in last and last.count('class="nav-link nav-org') == 12
    with app.test_client() as manager:                  # a manager sees only the one assigned organisation
        login(manager, "m@acme.test")
        mine = manager.get("/acme/coffee/").text
    assert mine.count('class="nav-link nav-org') == 1 and 'data-testid="nav-all-orgs"' not in mine


def test_who_works_on_the_organisation_lists_its_people_and_no_one_elses(app, client, world):
    """The card names the agency's owners and admins and the people assigned to this organisation, with their
    roles; not those of a sibling organisation or another agency; clients do not see it."""
    a, coffee, tea = world
    factories.person(a, "ad@acme.test", "admin")
    factories.person(a, "tm@acme.test", "manager", [tea.id])
    factories.person(a, "cl@acme.test", "client", [coffee.id])
    factories.person(factories.agency("Delta", "o@delta.test"), "ad@delta.test", "admin")
    login(client, "o@acme.test")
    page = client.get("/acme/coffee/").text
    card = page[page.index("Who works on this organisation"):]
    card = card[:card.index("</section>")]
    people = re.findall(r'<span class="who">([^<]+) <small class="muted">([^<]+)</small></span>'
                        r'<span class="badge badge-(\w+)">', card)
    assert sorted(people) == sorted([("Acme Owner", "o@acme.test", "owner"), ("Ad", "ad@acme.test", "admin"),
                                     ("M", "m@acme.test", "manager"), ("Cl", "cl@acme.test", "client")])
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)})
    login(client, "cl@acme.test")
    page = client.get("/acme/coffee/").text
    assert "Who works on this organisation" not in page and "o@acme.test" not in page


def test_every_tile_shows_the_registry_figure_and_its_plain_explanation(client, world):
    """The dashboard's tiles are the KPI registry's figures for the period, each with its one-line explanation
    on the page (a client reads it too); the internal wording is gone."""
    from tenants import kpis
    from tenants.metrics.dashboard import Period
    a, coffee, _ = world
    factories.person(a, "c@acme.test", "client", [coffee.id])
    login(client, "c@acme.test")
    page = client.get(f"/{a.slug}/{coffee.slug}/?days=30").get_data(as_text=True)
    end = datetime.now(UTC).date()
    with tenant_scope(a.id, coffee.id), job_session() as s:
        want = kpis.compute(s, coffee.id, Period(end - timedelta(days=29), end))
    tiles = dict(re.findall(r'data-kpi="(\w+)">.*?class="kpi-value">(?:<a [^>]*>)?([^<]+)<', page, re.S))
    assert set(tiles) >= {"members", "active", "new", "returning", "churned", "activities", "stickiness", "nps",
                          "loyal_advocates", "at_risk_share"}
    for code in ("members", "active", "new", "returning", "churned", "activities", "loyal_advocates"):
        assert tiles[code] == f"{want[code]:,}", code
    assert tiles["nps"] == f"{want['nps']:+d}"
    hints = re.findall(r'<p class="kpi-hint">([^<]+)</p>', page)
    assert len(hints) == len(tiles) and all(hints)
    assert "your own team and bots are not counted" in html.unescape(page)
    for jargon in ("DAU / MAU", "Stickiness", "staff and bots left out"):
        assert jargon not in page
