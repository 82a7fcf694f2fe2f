"""Run again: a failed job starts once more, the same kind with the same parameters, for whoever may see it and
work in its organisation; across agencies, roles and organisations it is a 404 and starts nothing."""
from __future__ import annotations

from sqlalchemy import func, select, update

from tenants.agency import jobs
from tenants.agency.models import JobRun, Organisation
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support import factories
from tests.support.http import login, post


def failed(agency, kind: str, params: dict, org_id: int | None = None, code: str = jobs.LOST) -> str:
    with tenant_scope(agency.id), job_session() as s:
        run = jobs.create(s, kind, org_id, params, None)
        jobs.fail_for(s, run.id, code, "WorkerLost: test")
        return run.public_id


def count() -> int:
    with system_scope() as s:
        return s.scalar(select(func.count()).select_from(JobRun))


def test_run_again_starts_the_same_work_once(client, acme_owner):
    tea_id = factories.org(acme_owner, "Tea").id
    export = failed(acme_owner, jobs.AUDIT_EXPORT, {"action": "login"})
    scoring = failed(acme_owner, jobs.SCORE_FULL, {}, tea_id, jobs.UNAVAILABLE)
    page = client.get(f"/acme/jobs/{scoring}").text
    assert "Background work was unavailable when this job was started" in page and 'data-testid="job-rerun"' in page
    for job_id, kind, params in ((export, jobs.AUDIT_EXPORT, {"action": "login"}), (scoring, jobs.SCORE_FULL, {})):
        pressed = post(client, f"/acme/jobs/{job_id}/rerun")
        assert pressed.status_code == 302
        again = pressed.headers["Location"].rsplit("/", 1)[1]
        with system_scope() as s:
            run = jobs.by_public_id(s, again)
            assert (run.kind, run.params, run.status, run.org_id) == (kind, params, "queued",
                                                                      None if kind == jobs.AUDIT_EXPORT else tea_id)
            assert jobs.by_public_id(s, job_id).rerun_id == run.id
    before = count()
    assert post(client, f"/acme/jobs/{export}/rerun").status_code == 302          # a second click joins it
    assert count() == before


def test_run_again_is_a_404_across_agencies_roles_and_organisations(client, other_client, acme_owner):
    a = acme_owner
    tea_id = factories.org(a, "Tea").id
    with system_scope() as s:
        coffee_id = s.scalar(select(Organisation.id).where(Organisation.name == "Coffee"))
    b = factories.agency("Beta", "o@beta.test")
    factories.person(a, "m@acme.test", "manager", [tea_id])
    factories.person(a, "c@acme.test", "client", [coffee_id])
    in_coffee = failed(a, jobs.SCORE_FULL, {}, coffee_id)
    agency_wide = failed(a, jobs.AUDIT_EXPORT, {"action": None})
    done = failed(a, jobs.SCORE_DAILY, {}, coffee_id)
    with system_scope() as s:
        s.execute(update(JobRun).where(JobRun.public_id == done).values(status="done"))
    before = count()

    login(other_client, "o@beta.test")              # another agency's owner
    for job_id in (in_coffee, agency_wide):
        assert post(other_client, f"/acme/jobs/{job_id}/rerun").status_code == 404
        assert post(other_client, f"/{b.slug}/jobs/{job_id}/rerun").status_code == 404
    for email in ("m@acme.test", "c@acme.test"):    # a manager of another organisation; a client
        other = client.application.test_client()
        login(other, email)
        for job_id in (in_coffee, agency_wide):
            assert post(other, f"/acme/jobs/{job_id}/rerun").status_code == 404
    assert post(client, f"/acme/jobs/{done}/rerun").status_code == 404            # only a failed run
    assert count() == before
    assert post(client, f"/acme/jobs/{in_coffee}/rerun").status_code == 302      # the positive control
    assert count() == before + 1
