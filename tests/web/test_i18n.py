"""English and Russian: the Russian catalogue stays complete; the language is chosen and remembered."""
from __future__ import annotations

import subprocess
import sys

from babel.messages.pofile import read_po

from tenants.core.config import ROOT
from tests.support import factories
from tests.support.http import login, post


def test_russian_catalogue_covers_every_string_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-k", "AccountError", "-k", "TeamError", "-k", "OrgError", "-k", "CommunityError", "-k",
                    "MergeError", "-k", "ApiKeyError", "-k", "FileError", "-k", "ItemError", "-k", "ScoringError",
                    "-k", "LeaderError", "-k", "EventError:2", "-k", "lazy_pgettext:1c,2", "-k", "Problem:2",
                    "-k", "N_", "-k", "DigestError", "-k", "GoalError", "-k", "ReportError", "-k", "BrandError",
                    "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot.open("rb")) if m.id}
    ru = read_po((ROOT / "translations/ru/LC_MESSAGES/messages.po").open("rb"), locale="ru")
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in ru
                  if m.id and "fuzzy" not in m.flags and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    assert len(wanted) > 150
    assert sorted(wanted - translated) == []


def test_visitor_language_follows_accept_language(client):
    assert "Войти" in client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).text
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en-GB"}).text


def test_switching_language_is_remembered_for_the_user(app, client):
    factories.agency("Acme", "o@acme.test")
    login(client, "o@acme.test")
    assert post(client, "/lang", {"lang": "ru", "next": "/acme/"}).headers["Location"] == "/acme/"
    assert "Организации клиентов" in client.get("/acme/").text
    fresh = app.test_client()          # another browser, English by default...
    login(fresh, "o@acme.test")
    page = fresh.get("/acme/", headers={"Accept-Language": "en"})
    assert "Организации клиентов" in page.text      # ...but the user's choice wins


def test_numbers_and_percentages_follow_the_users_locale(app):
    from flask import render_template_string
    template = ("{{ 3012|num0 }} | {{ 1234.56|num1 }} | {{ 0.121|pct1 }} | {{ 0.32|pct0 }} | {{ -0.11|signed_pct1 }}"
                " | {{ 0.067|signed_pct1 }} | {{ 1.5|signed1 }}")
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert render_template_string(template) == \
            "3\xa0012 | 1\xa0234,6 | 12,1\xa0% | 32\xa0% | -11,0\xa0% | +6,7\xa0% | +1,5"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert render_template_string(template) == "3,012 | 1,234.6 | 12.1% | 32% | -11.0% | +6.7% | +1.5"
