"""The htmx layer (web/htmx.py over htmx-flask): which requests get the page and which a fragment, and the
response headers."""
from __future__ import annotations

from web import htmx

HX = {"HX-Request": "true"}


def test_htmx_swaps_get_their_block_and_navigation_gets_the_page(client, acme_owner):
    assert "<html" in client.get("/acme/people/").text
    fragment = client.get("/acme/people/", headers=HX)
    assert "<html" not in fragment.text and 'id="people"' in fragment.text
    for navigation in ({"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}):   # hx-boost, back button
        assert "<html" in client.get("/acme/people/", headers={**HX, **navigation}).text
    vary = fragment.headers["Vary"]
    assert all(h in vary for h in ("HX-Request", "HX-Target", "HX-Boosted", "HX-History-Restore-Request"))


def test_the_element_swapped_names_the_block(client, acme_owner):
    page = client.get("/acme/coffee/", headers=HX)                   # no target the view knows: its own block
    assert 'data-testid="score-status"' in page.text and 'id="panels"' in page.text
    panels = client.get("/acme/coffee/", headers={**HX, "HX-Target": "panels"})
    assert 'id="panels"' in panels.text and 'data-testid="score-status"' not in panels.text


def test_response_headers(app):
    with app.test_request_context("/", headers=HX):
        assert htmx.wants_fragment() and not htmx.swaps("panels")
        r = htmx.redirect("/elsewhere")
        assert (r.status_code, r.headers["HX-Redirect"]) == (204, "/elsewhere")
        r = htmx.respond("<p>", trigger={"orgs-changed": {"slug": "x"}}, push_url="/x", reswap="outerHTML")
        assert (r.headers["HX-Trigger"], r.headers["HX-Push-Url"], r.headers["HX-Reswap"]) == \
            ('{"orgs-changed": {"slug": "x"}}', "/x", "outerHTML")
        for style in ("beforebegin", "afterbegin"):       # missing from htmx-flask 0.1.0's list: set directly
            assert htmx.respond("<p>", reswap=style).headers["HX-Reswap"] == style
    with app.test_request_context("/", headers={**HX, "HX-Boosted": "true"}):
        r = htmx.redirect("/elsewhere")
        assert r.status_code == 302 and "HX-Redirect" not in r.headers
