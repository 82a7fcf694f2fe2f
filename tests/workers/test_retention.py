"""Uploads keep their bytes only for their organisation's retention period: the nightly clean-up of each agency
deletes them once nothing is importing them, in that agency only, once a day however many schedulers run. The
period is a setting on the organisation's settings page."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tenants.agency.models import JobRun, Organisation
from tenants.community.models import Upload
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support import factories
from tests.support.http import csrf_of, login
from tests.support.workers import work_burst
from workers import enqueue

CSV = b"id;name\n1;Anna\n"


def _upload(a, org, name: str, age_days: int, importing: str | None = None) -> int:
    with tenant_scope(a.id), job_session() as s:
        up = Upload(org_id=org.id, filename=name, kind="csv", size=len(CSV), content=CSV,
                    created_at=utcnow() - timedelta(days=age_days))
        s.add(up)
        s.flush()
        if importing:
            s.add(JobRun(org_id=org.id, kind="csv_import", status=importing, params={"upload_id": up.id}))
        return up.id


def _kept() -> dict[str, bool]:
    with system_scope() as s:
        return {u.filename: (u.content == CSV and u.purged_at is None) for u in s.scalars(select(Upload))}


def test_the_nightly_clean_up_deletes_old_uploads_of_its_own_agency_only(worker_env):
    a, b = factories.agency("Acme", "o@acme.test"), factories.agency("Beta", "o@beta.test")
    coffee, beans = factories.org(a, "Coffee"), factories.org(b, "Beans")
    _upload(a, coffee, "old.csv", 31, importing="done")
    _upload(a, coffee, "recent.csv", 29)
    _upload(a, coffee, "old-queued.csv", 40, importing="queued")
    _upload(b, beans, "beta-old.csv", 31)
    with tenant_scope(a.id), job_session() as s:
        enqueue(s, "agency_cleanup")
    assert work_burst(worker_env).returncode == 0
    assert _kept() == {"old.csv": False, "recent.csv": True, "old-queued.csv": True, "beta-old.csv": True}
    with system_scope() as s:
        assert s.scalar(select(JobRun.result).where(JobRun.kind == "agency_cleanup"))["uploads_purged"] == 1


def test_each_organisation_keeps_uploads_as_long_as_it_says_once_a_day_with_two_schedulers(worker_env):
    from workers.scheduler import tick
    a, b = factories.agency("Acme", "o@acme.test"), factories.agency("Beta", "o@beta.test")
    coffee, beans = factories.org(a, "Coffee"), factories.org(b, "Beans")
    with tenant_scope(b.id), job_session() as s:
        s.get(Organisation, beans.id).upload_retention_days = 90
    _upload(a, coffee, "acme-45.csv", 45)
    _upload(b, beans, "beta-45.csv", 45)
    _upload(b, beans, "beta-120.csv", 120)
    night = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert "agency_cleanup" in tick(night)
    assert "agency_cleanup" not in tick(night)             # the second scheduler finds the day taken
    assert work_burst(worker_env).returncode == 0
    assert _kept() == {"acme-45.csv": False, "beta-45.csv": True, "beta-120.csv": False}
    with system_scope() as s:
        assert len(s.scalars(select(JobRun.id).where(JobRun.kind == "agency_cleanup")).all()) == 2


def _save(client, path: str, days: str):
    token = csrf_of(client, "/account/")
    return client.post(f"{path}/settings/uploads", data={"days": days, "csrf_token": token})


def _retention(org_id: int) -> int:
    with system_scope() as s:
        return s.scalar(select(Organisation.upload_retention_days).where(Organisation.id == org_id))


def test_the_retention_is_set_on_the_settings_page_and_only_by_the_organisations_agency(client, other_client):
    a, b = factories.agency("Acme", "o@acme.test"), factories.agency("Beta", "o@beta.test")
    coffee = factories.org(a, "Coffee")
    login(client, "o@acme.test")
    assert 'name="days"' in client.get("/acme/coffee/settings").text and _retention(coffee.id) == 30
    assert _save(client, "/acme/coffee", "7").status_code == 302 and _retention(coffee.id) == 7
    for bad in ("0", "3651", "seven", "-1", "1e3", ""):
        r = _save(client, "/acme/coffee", bad)
        assert r.status_code == 422 and "Keep uploaded files for 1 to 3650 days." in r.text, bad
    assert _retention(coffee.id) == 7
    login(other_client, b.owner_email)
    assert _save(other_client, "/acme/coffee", "365").status_code == 404
    assert _retention(coffee.id) == 7


def test_the_nightly_clean_up_keys_the_names_of_its_own_agency(worker_env):
    from tenants.community.ingest import ingest
    from tenants.community.models import MemberSearch
    from tenants.community.validate import ActivityIn, IdentityRef
    a, b = factories.agency("Acme", "o@acme.test"), factories.agency("Beta", "o@beta.test")
    for agency, org in ((a, factories.org(a, "Coffee")), (b, factories.org(b, "Beans"))):
        with tenant_scope(agency.id, org.id), job_session() as s:
            ingest(s, org.id, [ActivityIn(IdentityRef("telegram", str(n), display_name="Юлия Ковалёва"), "message",
                                          datetime.now(UTC), f"m{n}", "telegram") for n in range(3)], rescore=False)
    with tenant_scope(a.id), job_session() as s:
        enqueue(s, "agency_cleanup")
    assert work_burst(worker_env).returncode == 0
    with system_scope() as s:
        assert s.scalar(select(JobRun.result).where(JobRun.kind == "agency_cleanup"))["names_keyed"] == 3
        keys = dict(s.execute(select(MemberSearch.agency_id, func.count(MemberSearch.name_key))
                              .group_by(MemberSearch.agency_id)).all())
    assert keys == {a.id: 3, b.id: 0}
