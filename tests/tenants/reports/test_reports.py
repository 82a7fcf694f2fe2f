"""Reports in the domain: frozen once generated, versioned per period, figures equal to the KPI registry's, the
workflow, empty sections as no data, and the summary's attribution on a hand-made history."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tenants import kpis
from tenants.agency import orgs
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.events import events, registrations
from tenants.metrics.dashboard import Period
from tenants.reports import links, sections, service
from tenants.reports.service import ReportError
from tests.support import factories
from tests.support import reports as R
from tests.support.scoring import NOW, act


@pytest.fixture
def world():
    return R.world()


def _frozen(a, o, rid) -> tuple:
    r = R.get(a, o, rid)
    return r.figures, r.sections, r.version, r.period_start, r.period_end


def test_a_report_is_frozen_when_new_activity_arrives(world):
    rid = R.report(world.a, world.o)
    before = _frozen(world.a, world.o, rid)
    factories.ingest_into(world.a, world.o, [act("zed", "post", NOW - 10 * R.DAY, f"late{i}") for i in range(5)]
                          + [act("ann", "referral", NOW - 3 * R.DAY, "late-ref")])
    R.score(world.a, world.o)
    assert _frozen(world.a, world.o, rid) == before
    again = R.report(world.a, world.o)            # generating again reads the new data, as a new version
    types = R.get(world.a, world.o, again).sections["activity"]["by_type"]
    assert types.get("referral") == 1 and types["post"] > before[1]["activity"]["by_type"]["post"]


def test_generating_a_period_again_makes_the_next_version(world):
    first, second = R.report(world.a, world.o), R.report(world.a, world.o)
    april = R.report(world.a, world.o, Period(R.MAY.start.replace(month=4), R.MAY.start - R.DAY))
    assert [R.get(world.a, world.o, r).version for r in (first, second, april)] == [1, 2, 1]


def test_figures_are_the_kpi_registrys_for_the_period_and_the_month_before(world):
    rid = R.report(world.a, world.o)
    r = R.get(world.a, world.o, rid)
    april = Period(R.MAY.start.replace(month=4), R.MAY.start - R.DAY)
    with tenant_scope(world.a.id, world.o.id), job_session() as s:
        assert r.figures == kpis.compute(s, world.o.id, R.MAY, sections.ORG_CODES, today=NOW.date())
        assert r.sections["previous"] == kpis.compute(s, world.o.id, april, sections.ORG_CODES, today=NOW.date())
    assert r.figures["members"] == 5 and r.figures["new"] == 1
    assert r.sections["previous_period"]["start"] == "2026-04-01"
    assert r.monthly and r.language == "en" and r.status == "draft"


def test_workflow_draft_approved_published(world):
    rid = R.report(world.a, world.o)
    with tenant_scope(world.a.id, world.o.id), job_session() as s:
        r = service.by_public_id(s, world.o.id, rid, False)
        service.save_notes(s, r, {"work_done": " Meet-up ", "next_steps": "More"}, R.ACTOR)
        with pytest.raises(ReportError):
            service.publish(s, r, R.ACTOR)
        with pytest.raises(ReportError):
            links.create(s, r, R.ACTOR)
        service.approve(s, r, R.ACTOR)
        with pytest.raises(ReportError):
            service.approve(s, r, R.ACTOR)
        with pytest.raises(ReportError):
            service.save_notes(s, r, {"work_done": "x"}, R.ACTOR)
        assert service.latest_published(s, world.o.id) is None
        service.publish(s, r, R.ACTOR)
        assert r.notes == {"work_done": "Meet-up", "next_steps": "More"}
        assert service.latest_published(s, world.o.id).public_id == rid
        assert [x.public_id for _p, v in service.listing(s, world.o.id, True) for x in v] == [rid]
        s.commit()


def test_an_organisation_without_data_says_no_data_in_every_section(world):
    with tenant_scope(world.a.id, world.tea.id), job_session() as s:
        r = service.generate(s, orgs.by_slug(s, "tea"), R.MAY, True, R.ACTOR, today=NOW.date())
        for name in ("goals", "activity", "stages", "cohorts", "at_risk", "leaders", "events", "segments"):
            assert r.sections[name] is None, name
        assert r.figures["members"] is None and r.figures["nps"] is None
        assert r.sections["summary"] == [{"code": "no_data", "params": {}}] or all(
            item["code"] != "loyal_up" for item in r.sections["summary"])


def test_periods_are_checked():
    today = NOW.date()
    assert service.month_period("2026-05", today) == Period(today.replace(month=5, day=1),
                                                             today.replace(month=5, day=31))
    for bad in ("2026-13", "26-05", "", "2026-07"):
        with pytest.raises(ReportError):
            service.month_period(bad, today)
    assert service.custom_period("2026-05-03", "2026-05-09", today).days == 7
    for start, end in (("2026-05-09", "2026-05-03"), ("x", "2026-05-03"), ("2024-01-01", "2026-05-01"),
                       ("2026-07-01", "2026-07-02")):
        with pytest.raises(ReportError):
            service.custom_period(start, end, today)
    assert service.last_month(today) == Period(today.replace(month=5, day=1), today.replace(month=5, day=31))


def test_the_summary_names_the_event_most_risers_attended(world):
    """Bob and Cat moved up to loyal in May and both came to the May meet-up; Ann (already loyal) came too."""
    ids = {name: i for i, name in R.sql(world.a, world.o, "SELECT id, lower(display_name) FROM member")}
    may, april = NOW - 15 * R.DAY, NOW - 45 * R.DAY
    R.sql(world.a, world.o, "DELETE FROM stage_change")
    for who, frm, to, at in (("ann", "active", "loyal", april), ("bob", "active", "loyal", may),
                             ("cat", "active", "loyal", may)):
        R.sql(world.a, world.o, "INSERT INTO stage_change (agency_id, org_id, member_id, from_stage, to_stage, "
              "changed_at) VALUES (:a, :o, :m, :f, :t, :at)", a=world.a.id, o=world.o.id, m=ids[who], f=frm, t=to,
              at=at)
    R.sql(world.a, world.o, "UPDATE member SET stage = 'loyal' WHERE lower(display_name) IN ('ann', 'bob', 'cat')")
    start = (NOW - 20 * R.DAY).replace(tzinfo=None)
    with tenant_scope(world.a.id, world.o.id), job_session() as s:
        e, _ = events.create(s, world.o.id, {"title": "May meet-up", "format": "offline", "timezone": "UTC",
                                             "starts_at": start.isoformat(),
                                             "ends_at": (start + timedelta(hours=2)).isoformat()}, R.ACTOR)
        for who in ("ann", "bob", "cat"):
            registrations.check_in(s, e, ids[who], R.ACTOR, at=start.replace(tzinfo=NOW.tzinfo))
        s.commit()
    with tenant_scope(world.a.id, world.o.id), job_session() as s:
        from tenants.reports import attribution
        moved = attribution.of_period(s, world.o.id, R.MAY, [])
    assert moved["risers"] == 2 and moved["groups"][0] == {"kind": "event", "name": "May meet-up", "n": 2}
    rid = R.report(world.a, world.o)
    events_section = R.get(world.a, world.o, rid).sections["events"]
    assert events_section["held"] == 1 and events_section["rows"][0]["walk_ins"] == 3     # came without registering


def test_the_chosen_segments_are_in_the_report_with_their_size(world):
    with tenant_scope(world.a.id, world.o.id), job_session() as s:
        from tenants.segments import service as segments
        chosen = [x for x in segments.of_org(s, world.o.id)][:2]
        service.set_segments(s, world.o.id, [x.public_id for x in chosen], R.ACTOR)
        with pytest.raises(ReportError):
            service.set_segments(s, world.o.id, ["not-ours"], R.ACTOR)
        names = {x.name for x in chosen}
        s.commit()
    rid = R.report(world.a, world.o)
    got = R.get(world.a, world.o, rid).sections["segments"]
    assert {x["name"] for x in got} == names and all("size" in x and "previous" in x for x in got)
