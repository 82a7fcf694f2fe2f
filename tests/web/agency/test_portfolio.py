"""The agency home as a portfolio: who sees which organisations, sorting, the CSV, what needs attention."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import update

from tenants import scoring
from tenants.agency import jobs
from tenants.agency.models import JobRun
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.metrics import rollups
from tenants.portfolio import CSV_COLUMNS
from tests.support import factories
from tests.support.http import login, post
from tests.support.scoring import act

DAY = timedelta(days=1)


@pytest.fixture
def world():
    a = factories.agency("Acme", "o@acme.test")
    b = factories.agency("Beta", "o@beta.test")
    now = utcnow()
    big, small, quiet = factories.org(a, "=Big Coffee"), factories.org(a, "Small Tea"), factories.org(a, "Quiet Co")
    factories.ingest_into(a, big, [act(f"m{i}", "message", now - (i % 20) * DAY, f"b{i}") for i in range(30)])
    factories.ingest_into(a, small, [act(f"m{i}", "message", now - DAY, f"s{i}") for i in range(3)])
    for o in (big, small):
        with tenant_scope(a.id, o.id), job_session() as s:
            scoring.full(s, o.id, now)
            rollups.rollup(s, o.id, days=40, as_of=now)
            s.commit()
    with tenant_scope(a.id), job_session() as s:
        run = jobs.create(s, "csv_import", small.id, {}, None)
        s.flush()
        s.execute(update(JobRun).where(JobRun.id == run.id).values(status="failed"))
        s.commit()
    factories.person(a, "m@acme.test", "manager", [small.id])
    factories.person(a, "admin@acme.test", "admin")
    factories.person(a, "c@acme.test", "client", [small.id])
    factories.org(b, "Beta Secret")
    factories.person(b, "m@beta.test", "manager", [])
    return {"a": a, "big": big, "small": small, "quiet": quiet, "run": run}


def _names(html: str) -> list[str]:
    import re
    return re.findall(r'data-testid="org-card" data-org="([^"]+)"', html)


def test_owner_and_admin_see_every_organisation_with_its_figures(client, app, world):
    for email in ("o@acme.test", "admin@acme.test"):
        c = app.test_client()
        login(c, email)
        r = c.get("/acme/")
        assert r.status_code == 200
        assert sorted(_names(r.text)) == sorted(o.slug for o in (world["big"], world["small"], world["quiet"]))
    assert "Needs attention" in r.text and "import failed" in r.text
    assert f"/acme/{world['small'].slug}/imports/jobs/{world['run'].public_id}" in r.text
    assert "Beta Secret" not in r.text


def test_a_manager_sees_only_their_organisations_and_a_client_is_sent_to_theirs(client, app, world):
    login(client, "m@acme.test")
    r = client.get("/acme/")
    assert _names(r.text) == [world["small"].slug]
    rows = list(csv.reader(io.StringIO(client.get("/acme/portfolio.csv").text)))
    assert [row[0] for row in rows[1:]] == ["Small Tea"]
    c = app.test_client()
    login(c, "c@acme.test")
    r = c.get("/acme/")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/acme/{world['small'].slug}/")
    assert c.get("/acme/portfolio.csv").status_code == 404


def test_sorting_swaps_the_table_only_and_defaults_to_needs_attention_first(client, world):
    login(client, "o@acme.test")
    default = _names(client.get("/acme/").text)
    assert default[0] == world["small"].slug         # a failed import
    r = client.get("/acme/?sort=-members", headers={"HX-Request": "true", "HX-Target": "portfolio-table"})
    assert r.status_code == 200 and r.text.lstrip().startswith('<section id="portfolio-table"')
    assert "Needs attention</h2>" not in r.text and "New organisation" not in r.text
    assert _names(r.text) == [world["big"].slug, world["small"].slug, world["quiet"].slug]   # no data last
    assert 'aria-sort="descending"' in r.text
    assert _names(client.get("/acme/?sort=members").text) == [world["small"].slug, world["big"].slug,
                                                              world["quiet"].slug]
    assert _names(client.get("/acme/?sort=name").text)[0] == world["big"].slug
    assert client.get("/acme/?sort=%3Cscript%3E").status_code == 200        # unknown: the default order


def test_csv_has_the_pages_rows_and_columns_and_is_formula_safe(client, world):
    login(client, "o@acme.test")
    r = client.get("/acme/portfolio.csv?sort=-members")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"] == 'attachment; filename="acme-portfolio.csv"'
    rows = list(csv.reader(io.StringIO(r.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    big, small, quiet = rows[1], rows[2], rows[3]
    assert big[0] == "'=Big Coffee"                                  # would run as a formula in a spreadsheet
    assert big[1] == "30" and big[2] == "30" and small[1] == "3" and small[2] == "3"
    assert small[-1] == "import_failed"
    assert quiet[1:7] == ["", "", "", "", "", ""]                   # no data: empty, never 0


def test_creating_an_organisation_still_works_and_adds_a_row(client, world):
    login(client, "o@acme.test")
    r = post(client, "/acme/orgs", {"name": "Nord"}, htmx=True)
    assert r.status_code == 200 and "nord" in _names(r.text) and "orgs-changed" in r.headers["HX-Trigger"]


def test_another_agencys_people_get_404(client, app, world):
    login(client, "o@beta.test")
    assert client.get("/acme/").status_code == 404
    assert client.get("/acme/portfolio.csv").status_code == 404
    c = app.test_client()
    login(c, "m@beta.test")
    assert c.get("/acme/portfolio.csv").status_code == 404
    assert "Small Tea" not in c.get("/beta/portfolio.csv").text
