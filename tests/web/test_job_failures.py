"""A job that fails says so on its page and on the organisation's status line, in the reader's language: the
domain error it stopped on, or a general message; never the exception."""
from __future__ import annotations

import re

import pytest

from tenants import scoring
from tenants.agency import jobs
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support import factories
from tests.support.http import login, post
from workers.runner import run

GENERIC = {"en": "This job failed because of a problem on our side. Try again; if it fails again, contact support.",
           "ru": "Задача не выполнена из-за проблемы на нашей стороне. Попробуйте ещё раз; если снова не получится, "
                 "напишите в поддержку."}
LEAKS = ("RuntimeError", "Traceback", "disk on fire", "/srv/secret", "ScoringError", "half_life_days")


def _run_failing(agency, kind: str, params: dict, org_id: int | None = None) -> str:
    """Record a run of `kind` and run it here, as a worker would; it raises."""
    with tenant_scope(agency.id), job_session() as s:
        job = jobs.create(s, kind, org_id, params, None)
        run_id, public_id = job.id, job.public_id
    with pytest.raises(Exception):  # noqa: B017 -- whatever the job raised, the runner re-raises it
        run(run_id, agency.id)
    return public_id


def _in(client, lang: str) -> None:
    assert post(client, "/lang", {"lang": lang, "next": "/"}).status_code == 302


@pytest.fixture
def acme(client):
    a = factories.agency("Acme", "o@acme.test")
    login(client, "o@acme.test")
    return a


def test_a_job_that_raises_shows_a_general_message_and_no_exception(client, acme):
    job_id = _run_failing(acme, "test_boom", {"reason": "disk on fire at /srv/secret"})
    with system_scope() as s:
        row = jobs.by_public_id(s, job_id)
        assert row.status == "failed" and "RuntimeError: disk on fire" in row.error and row.failure is None
    for lang, failed_at in (("en", "Failed at 40%"), ("ru", "Сбой на 40%")):
        _in(client, lang)
        for headers in ({}, {"HX-Request": "true"}):        # the page and the fragment it polls
            page = client.get(f"/acme/jobs/{job_id}", headers=headers).text
            assert 'data-testid="job-failed"' in page and "load delay" not in page      # polling stops
            assert GENERIC[lang] in page and failed_at in page
            assert not [leak for leak in LEAKS if leak in page]


def test_a_job_that_stops_on_a_domain_error_shows_that_error_translated(client, acme):
    job_id = _run_failing(acme, "test_refused", {"field": "half_life_days"})
    with system_scope() as s:
        assert jobs.by_public_id(s, job_id).failure == {"template": "%(field)s must be a number.",
                                                        "params": {"field": "half_life_days"}}
    _in(client, "en")
    page = client.get(f"/acme/jobs/{job_id}").text
    assert "Half-life must be a number." in page and GENERIC["en"] not in page
    assert not [leak for leak in LEAKS if leak in page]
    _in(client, "ru")
    page = client.get(f"/acme/jobs/{job_id}").text
    assert "Период полураспада: нужно число." in page
    assert not [leak for leak in LEAKS if leak in page]


def test_the_status_line_says_the_recompute_failed_instead_of_the_last_scores(client, acme, monkeypatch):
    coffee = factories.org(acme, "Coffee")
    with tenant_scope(acme.id, coffee.id), job_session() as s:
        scoring.full(s, coffee.id)                            # scores computed once
    assert "Scores computed" in client.get("/acme/coffee/").text

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire at /srv/secret")
    monkeypatch.setattr(scoring, "full", broken)
    pressed = post(client, "/acme/coffee/recompute", htmx=True)
    assert 'hx-trigger="load delay:1s"' in pressed.text                    # polls the running recompute
    job_id = _queued_recompute(acme, coffee)
    with pytest.raises(RuntimeError):
        run(job_id, acme.id)
    for lang, said in (("en", "The recompute failed"), ("ru", "Пересчёт не удался")):
        _in(client, lang)
        page = client.get("/acme/coffee/").text
        line = page.split('data-testid="score-status"')[1].split("</p>")[0]
        assert said in line and GENERIC[lang] in line and re.search(r"\d", line.split(said)[1])   # with the time
        assert "Scores computed" not in line and "Оценки посчитаны" not in line
        assert not [leak for leak in LEAKS if leak in page]
        polled = client.get("/acme/coffee/scoring-status?was=1", headers={"HX-Request": "true"})
        assert said in polled.text and "hx-get" not in polled.text                # polling stops, says why
    monkeypatch.undo()
    post(client, "/acme/coffee/recompute", htmx=True)
    run(_queued_recompute(acme, coffee), acme.id)                 # the next recompute works: the line says so
    _in(client, "en")
    line = client.get("/acme/coffee/").text.split('data-testid="score-status"')[1].split("</p>")[0]
    assert "Scores computed" in line and "failed" not in line


def _queued_recompute(agency, org) -> int:
    with tenant_scope(agency.id, org.id), job_session() as s:
        queued = [r for r in jobs.recent(s, (jobs.SCORE_FULL,), 5, org_id=org.id) if r.status == "queued"]
        assert len(queued) == 1
        return queued[0].id
