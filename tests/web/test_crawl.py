"""Wall one: every route of agency A, asked by people who must not see it, answers 404.

Routes are discovered from the URL map, so a new route is covered without anyone remembering: a route
with an argument this test does not know how to fill fails the test until a value is added below.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tenants.accounts.models import AgencyRole
from tenants.agency import jobs
from tenants.agency.models import Invitation, Organisation
from tenants.community.models import Member, MemberMerge
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.core.ids import new_token, token_hash
from tenants.digest.models import DigestDelivery, DigestSettings
from tenants.events.models import Registration
from tenants.goals.models import Goal
from tenants.leaders.models import Leader, LeaderDismissal, LeaderSettings, Touchpoint
from tests.support import factories
from tests.support.http import csrf_of, login

# Agency-level routes that any member of the agency may open (they show only the member's own scope).
MEMBER_ROUTES = {"agency.home", "agency.nav", "agency.portfolio_csv", "branding.agency_logo", "branding.theme"}


@pytest.fixture
def world():
    a = factories.agency("Alpha Agency", "owner@alpha.test")
    b = factories.agency("Beta Agency", "owner@beta.test")
    a1, a2 = factories.org(a, "Alpha One"), factories.org(a, "Alpha Two")
    factories.org(b, "Beta One")
    manager = factories.person(a, "manager@alpha.test", "manager", [a1.id])
    factories.person(a, "client2@alpha.test", "client", [a2.id])
    factories.person(a, "manager2@alpha.test", "manager", [a2.id])
    with tenant_scope(a.id), job_session() as s:
        inv = Invitation(email="new@x.test", role="manager", org_ids=[a1.id], token_hash=token_hash(new_token()),
                         expires_at=utcnow().replace(year=utcnow().year + 1))
        s.add(inv)
        import io

        from PIL import Image

        from tenants.agency import branding
        from tenants.core.audit import Actor as LogoActor
        logo = io.BytesIO()
        Image.new("RGB", (2, 2)).save(logo, "PNG")
        branding.set_logo(s, None, logo.getvalue(), LogoActor(email="t"))      # the agency's logo route serves it
        run = jobs.create(s, "audit_export", None, {}, None)
        org_run = jobs.create(s, "audit_export", a1.id, {}, None)
        s.flush()
        jobs.finish(s, run.id, {"rows": 0})
        jobs.attach_file(s, run.id, "x.csv", "text/csv", b"secret")
        s.flush()
        from tenants.agency import apikeys
        from tenants.core.audit import Actor
        with tenant_scope(a.id, a1.id):
            key, _token = apikeys.create(s, a1.id, "crawl key", Actor(email="t"))
        with tenant_scope(a.id, a1.id):
            from datetime import UTC, datetime

            from tenants.community.ingest import ingest
            from tenants.community.merge import merge
            from tenants.community.validate import ActivityIn, IdentityRef
            acts = [ActivityIn(IdentityRef("telegram", ext, display_name=ext), "message",
                               datetime(2026, 5, 1, tzinfo=UTC), f"src-{ext}", "telegram") for ext in ("ann", "bob")]
            ingest(s, a1.id, acts)
            ann, bob = (s.scalar(select(Member).where(Member.display_name == n)) for n in ("ann", "bob"))
            record = merge(s, ann, bob, Actor(email="t"))
            s.flush()
            from tenants.community.models import Upload
            up = Upload(org_id=a1.id, filename="m.csv", kind="csv", size=9, content=b"id;name\n1;A\n")
            s.add(up)
            s.flush()
            import_run = jobs.create(s, "csv_import", a1.id, {"upload_id": up.id}, None)
            from tenants.segments import service as segments
            segment = segments.create(s, a1.id, {"name": "Crawl", "kind": "static"}, Actor(email="t"))
            s.flush()
            from tenants.leaders import leaders
            leader = leaders.add(s, ann, "active", Actor(email="t"))
            leaders.add_touchpoint(s, leader, "call", utcnow().date(), "secret plan", Actor(email="t"))
            s.flush()
            from tenants.events import events
            from tenants.events import registrations as regs
            start = utcnow().replace(microsecond=0, tzinfo=None)
            meetup, _created = events.create(s, a1.id, {"title": "Crawl meet-up",
                                                        "starts_at": start.isoformat(),
                                                        "ends_at": (start + timedelta(hours=3)).isoformat()},
                                             Actor(email="t"))
            survivor = ann if ann.merged_into_id is None else bob
            registration, _created = regs.register(s, meetup, survivor.id, "manual", Actor(email="t"))
            regs.check_in(s, meetup, survivor.id, Actor(email="t"))
            s.flush()
            from tenants.goals import service as goals
            goal = goals.create(s, a1.id, {"title": "Crawl goal", "kpi": "members", "category": "awareness",
                                           "targets": [{"value": "100", "due": "2028-01-01"}]}, Actor(email="t"))
            from tenants.metrics.dashboard import Period
            from tenants.reports import links as report_links
            from tenants.reports import service as reports
            report = reports.generate(s, s.get(type(a1), a1.id), Period(start.date().replace(day=1), start.date()),
                                      False, Actor(email="t"))
            reports.approve(s, report, Actor(email="t"))
            reports.publish(s, report, Actor(email="t"))
            share_link, _token = report_links.create(s, report, Actor(email="t"))
            report_run = jobs.create(s, "report_generate", a1.id, {}, None)
            s.flush()
        ids = {"invitation_id": inv.public_id, "job_id": run.public_id, "org_job_id": org_run.public_id,
               "key_id": key.public_id, "member_id": ann.public_id, "merge_id": record.public_id,
               "upload_id": up.public_id, "import_job_id": import_run.public_id, "segment_id": segment.public_id,
               "leader_id": leader.public_id, "event_id": meetup.public_id,
               "registration_id": registration.public_id, "goal_id": goal.public_id, "report_id": report.public_id,
               "link_id": share_link.public_id, "report_job_id": report_run.public_id}
    return {"a": a, "a1": a1, "a2": a2, "manager": manager, **ids}


def _urls(app, world, org_slug: str | None = None, job_key: str = "job_id"):
    values = {
        "agency_slug": world["a"].slug,
        "org_slug": org_slug or world["a1"].slug,
        "job_id": world[job_key],
        "invitation_id": world["invitation_id"],
        "user_id": world["manager"].public_id,
        "key_id": world["key_id"],
        "member_id": world["member_id"],
        "merge_id": world["merge_id"],
        "upload_id": world["upload_id"],
        "segment_id": world["segment_id"],
        "leader_id": world["leader_id"],
        "event_id": world["event_id"],
        "registration_id": world["registration_id"],
        "goal_id": world["goal_id"],
        "report_id": world["report_id"],
        "link_id": world["link_id"],
    }
    found = []
    for rule in app.url_map.iter_rules():
        if "agency_slug" not in rule.arguments:
            continue
        unknown = rule.arguments - values.keys()
        assert not unknown, f"crawl test does not know how to fill {unknown} for {rule.rule}: add it"
        args = {k: values[k] for k in rule.arguments}
        if rule.endpoint.startswith("imports.") and "job_id" in args:
            args["job_id"] = world["import_job_id"]       # import pages show import jobs only
        if rule.endpoint.startswith("reports.") and "job_id" in args:
            args["job_id"] = world["report_job_id"]       # the report list's progress shows generation runs only
        path = rule.build(args, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, path))
    return found


def _hit(client, method: str, path: str, token: str):
    if method == "GET":
        return [client.get(path), client.get(path, headers={"HX-Request": "true"})]
    return [client.open(path, method=method, data={"csrf_token": token, "name": "x", "role": "owner"}),
            client.open(path, method=method, headers={"HX-Request": "true", "X-CSRFToken": token},
                        data={"name": "x", "role": "owner"})]


def _snapshot():
    with system_scope() as s:
        return (sorted((o.name, o.archived_at is None) for o in s.scalars(select(Organisation))),
                sorted((r.user_id, r.role) for r in s.scalars(select(AgencyRole))),
                sorted((i.email, i.revoked_at is None) for i in s.scalars(select(Invitation))),
                sorted((m.display_name, m.erased_at is None, m.merged_into_id is None, m.is_staff)
                       for m in s.scalars(select(Member))),
                sorted((r.public_id, r.undone_at is None) for r in s.scalars(select(MemberMerge))),
                sorted((r.status, r.kind, r.internal, tuple(r.topics)) for r in s.scalars(select(Leader))),
                sorted((t.kind, t.note) for t in s.scalars(select(Touchpoint))),
                len(s.scalars(select(LeaderDismissal)).all()), len(s.scalars(select(LeaderSettings)).all()),
                sorted((r.public_id, r.status, r.checked_in_at is None) for r in s.scalars(select(Registration))),
                sorted((d.weekly, d.paused, tuple(d.extra)) for d in s.scalars(select(DigestSettings))),
                len(s.scalars(select(DigestDelivery)).all()),
                sorted((g.title, g.closed_at is None, str(g.targets)) for g in s.scalars(select(Goal))))


def _assert_all_404(client, urls, who: str):
    token = csrf_of(client, "/account/")
    leaks = []
    for endpoint, method, path in urls:
        for response in _hit(client, method, path, token):
            if response.status_code != 404:
                leaks.append((who, endpoint, method, path, response.status_code))
    assert leaks == []


def test_crawl_covers_every_tenant_route(app, world):
    endpoints = {e for e, _m, _p in _urls(app, world)}
    # A sanity floor: if routes stop being discovered the crawl would pass vacuously.
    assert {"agency.home", "org.overview", "org.settings", "team.index", "audit.export", "jobs.download"} <= endpoints


def test_another_agencys_owner_gets_404_everywhere(app, client, world):
    before = _snapshot()
    assert login(client, "owner@beta.test").status_code == 302
    _assert_all_404(client, _urls(app, world), "beta owner")
    assert _snapshot() == before


def test_client_of_another_org_gets_404_on_this_orgs_routes_and_agency_admin_routes(app, client, world):
    before = _snapshot()
    assert login(client, "client2@alpha.test").status_code == 302
    urls = [u for u in _urls(app, world, job_key="org_job_id") if u[0] not in MEMBER_ROUTES]
    _assert_all_404(client, urls, "client of Alpha Two")
    assert _snapshot() == before


def test_manager_gets_404_outside_assigned_orgs_and_on_admin_routes(app, client, world):
    assert login(client, "manager2@alpha.test").status_code == 302
    urls = [u for u in _urls(app, world, job_key="org_job_id") if u[0] not in MEMBER_ROUTES]
    _assert_all_404(client, urls, "manager of Alpha Two")


def test_anonymous_visitor_is_sent_to_login_and_sees_nothing(app, client, world):
    for endpoint, method, path in _urls(app, world):
        response = client.open(path, method=method)
        assert response.status_code in (302, 400), (endpoint, path, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login")


def test_the_same_urls_work_for_the_agencys_own_owner(app, client, world):
    """Positive control: the crawl's URLs are real pages, so its 404s mean refusal, not typos."""
    assert login(client, "owner@alpha.test").status_code == 302
    for endpoint, method, path in _urls(app, world):
        if method == "GET":
            response = client.get(path)
            assert response.status_code in (200, 302), (endpoint, path, response.status_code)
