"""The event report page: its figures on a hand-made history, who may read it (staff, the organisation's client;
another organisation's event or another agency's is 404), the dashboard's events panel, and the event fields in
the segment builder's words."""
from __future__ import annotations

import pytest

from tests.support import factories
from tests.support.event_history import members, past_event, upcoming_event
from tests.support.http import login, post


@pytest.fixture
def world(client):
    a = factories.agency("Acme", "o@acme.test")
    coffee, tea = factories.org(a, "Coffee"), factories.org(a, "Tea")
    ids = members(a, coffee, {n: [300] for n in ("ann", "bob", "cat", "dan")})
    e1 = past_event(a, coffee, 100, ids, registered=("ann", "bob", "cat"), came=("ann", "bob"))
    e2 = past_event(a, coffee, 50, ids, registered=("ann", "cat"), came=("ann",), walk_ins=("dan",),
                    survey={"ann": 10, "dan": 6})
    nxt = upcoming_event(a, coffee, 7, ids, registered=("ann", "cat"))
    tea_event = past_event(a, tea, 20, members(a, tea, {"tom": [40]}), registered=("tom",), came=("tom",))
    b = factories.agency("Beta", "o@beta.test")
    gamma = factories.org(b, "Gamma")
    foreign = past_event(b, gamma, 20, members(b, gamma, {"gus": [40]}), registered=("gus",), came=("gus",))
    factories.person(a, "client@acme.test", "client", [coffee.id])
    factories.person(a, "teaclient@acme.test", "client", [tea.id])
    return a, coffee, tea, {"e1": e1, "e2": e2, "next": nxt, "tea": tea_event, "foreign": foreign}


def url(a, o, pid: str) -> str:
    return f"/{a.slug}/{o.slug}/events/{pid}/report"


def test_the_report_shows_the_events_figures(client, world):
    a, coffee, _tea, ev = world
    login(client, "o@acme.test")
    page = client.get(url(a, coffee, ev["e2"])).get_data(as_text=True)
    assert 'data-testid="kpi-registered"' in page and 'data-testid="effect-30"' in page
    assert "not yet known" in page                   # ended 50 days ago: 40 days to go for "returned"
    assert "too few to tell" in page                 # one attendee compared
    assert "+0" in page                              # NPS: one promoter, one detractor
    assert 'data-testid="forecast-actual"' in page   # a forecast from E1, beside what happened
    old = client.get(url(a, coffee, ev["e1"])).get_data(as_text=True)
    assert "No forecast" in old and "1 of 2 attendees" in old    # no history before E1; ann came back to E2
    ahead = client.get(url(a, coffee, ev["next"])).get_data(as_text=True)
    assert 'data-testid="forecast-expected"' in ahead and "Shown after the event." in ahead


def test_the_client_reads_their_organisations_report_and_nobody_reaches_another(client, world):
    a, coffee, tea, ev = world
    login(client, "client@acme.test")
    assert client.get(url(a, coffee, ev["e2"])).status_code == 200
    assert client.get(url(a, tea, ev["tea"])).status_code == 404            # not their organisation
    assert client.get(url(a, coffee, ev["tea"])).status_code == 404         # Tea's event under Coffee
    assert client.get(url(a, coffee, ev["foreign"])).status_code == 404     # another agency's event
    assert client.get(url(a, coffee, "nosuchevent")).status_code == 404
    post(client, "/logout")
    login(client, "o@acme.test")
    assert client.get(url(a, coffee, ev["tea"])).status_code == 404
    assert client.get(url(a, tea, ev["tea"])).status_code == 200


def test_the_dashboard_has_the_events_panel(client, world):
    a, coffee, tea, ev = world
    login(client, "client@acme.test")
    page = client.get(f"/{a.slug}/{coffee.slug}/").get_data(as_text=True)
    assert 'data-testid="events-panel"' in page and url(a, coffee, ev["e2"]) in page
    assert url(a, tea, ev["tea"]) not in page
    assert "3 of 5 registered came" in page          # E1 2 of 3, E2 1 of 2
    assert "1 of 3 attendees came twice or more" in page


def test_event_fields_in_words(app):
    from web.segments import words
    with app.test_request_context():
        assert words.describe({"field": "events_attended", "op": "gte", "value": {"count": 2, "within_days": 90}}) \
            == "Events attended: at least 2 in the last 90 days"
        assert words.describe({"field": "attended_event", "op": "in", "value": ["x1"]}, {"x1": "Meet-up"}) \
            == "Attended the event is any of “Meet-up”"
        assert words.describe({"field": "registered_no_show", "op": "eq", "value": {"within_days": 30}}) \
            == "Registered, did not come: any event in the last 30 days"
        assert words.problem("is not an event of this organisation") == "choose an event of this organisation"
