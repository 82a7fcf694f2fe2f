"""The post-event follow-up through the scheduler and a real RQ worker: a survey link to each attendee (and nobody
else), content activities for hosts and speakers, nothing twice; one answer per registration, counted in the
organisation's NPS, the event's and the segment field "NPS group"; each organisation's events in its own run."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tenants.agency import jobs
from tenants.agency.models import JobRun
from tenants.community.models import Activity
from tenants.core.base import utcnow
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.events import counts, events, public, registrations, survey
from tenants.events.models import Event, Registration
from tenants.metrics.figures import nps
from tenants.segments import service
from tests.support import public_events as pe
from tests.support.http import csrf_of
from tests.support.workers import work_burst
from workers.scheduler import SCHEDULES, tick

FOLLOW_UP = tuple(s for s in SCHEDULES if s.name == jobs.EVENT_SURVEY)
PEOPLE = ("ann", "bob", "cat", "dan", "eve")


def _ended(name: str = "Acme", org: str = "Coffee", hours_ago: int = 3) -> tuple[pe.World, dict[str, int]]:
    """An event that ended `hours_ago`: ann, bob and cat came, dan registered and did not, eve hosted and ann spoke."""
    start = (utcnow() - timedelta(hours=hours_ago + 2)).replace(tzinfo=None, microsecond=0)
    w = pe.world(name, org, title=f"{name} Night", timezone="UTC", starts_at=start.isoformat(),
                 ends_at=(start + timedelta(hours=2)).isoformat())
    ids = {}
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        event = events.by_public_id(s, w.o.id, w.event_id)
        for n in PEOPLE:
            ids[n] = public.join(s, event, n.title(), f"{n}@{name.lower()}.test", {}, "en").member.id
        for n in ("ann", "bob", "cat"):
            registrations.check_in(s, event, ids[n])
        registrations.cancel(s, s.scalar(select(Registration).where(Registration.member_id == ids["eve"])), event)
        events.set_roles(s, event, "host", [ids["eve"]])
        events.set_roles(s, event, "speaker", [ids["ann"]])
    return w, ids


def _survey_links(w: pe.World) -> dict[str, str]:
    domain = w.a.slug
    return {m.to_address.split("@")[0]: pe.path_in(m, "/s/") for m in pe.mails()
            if m.subject.startswith("How was") and m.to_address.endswith(f"@{domain}.test")}


def _answer(client, path: str, score: int, comment: str = ""):
    return client.post(path, data={"score": str(score), "comment": comment, "csrf_token": csrf_of(client, path)})


def test_attendees_get_one_survey_hosts_and_speakers_a_content_activity_and_nothing_twice(worker_env):
    w, ids = _ended()
    beta, _ = _ended("Beta", "Beans")
    soon = pe.on(w.a, w.o, title="Not yet")                           # tomorrow: nothing to follow up
    assert tick(utcnow(), FOLLOW_UP) == [jobs.EVENT_SURVEY]
    assert work_burst(worker_env).returncode == 0
    with system_scope() as s:
        runs = list(s.execute(select(JobRun.org_id, JobRun.status, JobRun.result)
                              .where(JobRun.kind == jobs.EVENT_SURVEY)))
    assert sorted((o, st) for o, st, _r in runs) == sorted([(w.o.id, "done"), (beta.o.id, "done")])
    assert all(r == {"events": 1, "mailed": 3, "content": 2} for _o, _s, r in runs)
    links = _survey_links(w)
    assert sorted(links) == ["ann", "bob", "cat"]                      # dan did not come, eve cancelled
    by_member = {r.member_id: r for r in pe.registrations(w)}
    for n, path in links.items():
        token = by_member[ids[n]].survey_token
        assert path == f"/s/{token}" and len(token) >= 32
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        content = s.execute(select(Activity.member_id, Activity.source_id, Activity.occurred_at)
                            .where(Activity.type == "content_created").order_by(Activity.source_id)).all()
        event = s.scalar(select(Event).where(Event.public_id == w.event_id))
        assert event.survey_sent_at is not None
        assert s.scalar(select(Event.survey_sent_at).where(Event.public_id == soon.event_id)) is None
        assert [(m, src) for m, src, _at in content] == sorted(
            [(ids["eve"], f"event:{w.event_id}:host:{ids['eve']}"),
             (ids["ann"], f"event:{w.event_id}:speaker:{ids['ann']}")], key=lambda x: x[1])
        assert {at for _m, _src, at in content} == {event.ends_at}
        assert survey.follow_up(s, event.id) is None                    # done: a second run does nothing
    sent = len(pe.mails())
    assert tick(utcnow() + timedelta(hours=1), FOLLOW_UP) == [jobs.EVENT_SURVEY]   # the next hour: nothing due
    assert work_burst(worker_env).returncode == 0
    with system_scope() as s:
        assert len(s.scalars(select(JobRun.id).where(JobRun.kind == jobs.EVENT_SURVEY)).all()) == 2
    assert len(pe.mails()) == sent


def test_an_event_is_followed_up_two_hours_after_it_ends_and_old_history_gets_no_mail():
    w, _ids = _ended(hours_ago=1)
    old, _ = _ended("Old", "Archive", hours_ago=24 * 30)
    with system_scope() as s:
        assert survey.due_orgs(s) == [(old.a.id, old.o.id)]
        assert survey.due_orgs(s, utcnow() + timedelta(hours=1, minutes=1)) == sorted(
            [(w.a.id, w.o.id), (old.a.id, old.o.id)])
    with tenant_scope(old.a.id, old.o.id), job_session() as s:
        [event_id] = survey.due_events(s, old.o.id)
        assert survey.follow_up(s, event_id) == {"mailed": 0, "content": 2}
    assert not [m for m in pe.mails() if m.subject.startswith("How was")]


def test_a_job_of_one_organisation_cannot_follow_up_another_organisations_event():
    w, _ = _ended()
    beta, _ = _ended("Beta", "Beans")
    with tenant_scope(beta.a.id, beta.o.id), job_session() as s:
        beta_event = s.scalar(select(Event.id))
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        assert survey.due_events(s, beta.o.id) == []
        assert survey.follow_up(s, beta_event) is None                  # another agency's row: not found
    with tenant_scope(beta.a.id, beta.o.id), job_session() as s:
        assert s.scalar(select(Event.survey_sent_at)) is None


def test_one_answer_per_registration_counted_in_the_organisations_nps(client, worker_env):
    w, ids = _ended()
    tick(utcnow(), FOLLOW_UP)
    assert work_burst(worker_env).returncode == 0
    links = _survey_links(w)
    page = client.get(links["ann"]).get_data(as_text=True)
    assert "How likely are you to recommend Coffee" in page and 'data-outcome="open"' in page
    assert client.post(links["ann"], data={"score": "10"}).status_code == 400            # CSRF
    scores = {"ann": 10, "bob": 9, "cat": 3}
    for n, score in scores.items():
        assert 'data-outcome="thanks"' in _answer(client, links[n], score, f"from {n}").get_data(as_text=True)
    again = _answer(client, links["ann"], 0)
    assert 'data-outcome="already"' in again.get_data(as_text=True)
    assert 'data-outcome="already"' in client.get(links["ann"]).get_data(as_text=True)
    by_member = {r.member_id: r for r in pe.registrations(w)}
    assert {n: by_member[ids[n]].survey_score for n in scores} == scores
    assert by_member[ids["bob"]].survey_comment == "from bob" and by_member[ids["bob"]].survey_answered_at
    promoters = sum(1 for v in scores.values() if v >= 9)
    detractors = sum(1 for v in scores.values() if v <= 6)
    expected = round(100.0 * (promoters - detractors) / len(scores))
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        metas = s.scalars(select(Activity.meta).where(Activity.type == "survey_answer")).all()
        assert sorted(m["nps"] for m in metas) == sorted(scores.values())
        assert {m["event"] for m in metas} == {w.event_id}
        org_nps = nps(s, w.o.id, utcnow() - timedelta(days=1), utcnow() + timedelta(minutes=1))
        assert (org_nps["score"], org_nps["responses"]) == (expected, len(scores))
        event = events.by_public_id(s, w.o.id, w.event_id)
        c = counts.of_event(s, event.id)
        assert (c.survey_sent, c.survey_responses, c.nps) == (3, 3, expected)
        stmt = service.rule_statement(s, w.o.id, {"all": [{"field": "nps", "op": "eq", "value": "promoter"}]})
        assert sorted(service.member_ids(s, stmt)) == sorted(ids[n] for n, v in scores.items() if v >= 9)


def test_a_score_out_of_range_is_refused_and_nothing_is_kept(client, worker_env):
    w, ids = _ended()
    tick(utcnow(), FOLLOW_UP)
    assert work_burst(worker_env).returncode == 0
    link = _survey_links(w)["cat"]
    for bad in ("11", "-1", "x", ""):
        answer = client.post(link, data={"score": bad, "csrf_token": csrf_of(client, link)})
        assert answer.status_code == 200 and 'data-outcome="open"' in answer.get_data(as_text=True)
    assert {r.member_id: r.survey_score for r in pe.registrations(w)}[ids["cat"]] is None
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        assert s.scalars(select(Activity.id).where(Activity.type == "survey_answer")).all() == []


def test_an_unknown_or_expired_survey_link_answers_nothing(client, worker_env):
    w, ids = _ended()
    tick(utcnow(), FOLLOW_UP)
    assert work_burst(worker_env).returncode == 0
    link = _survey_links(w)["bob"]
    assert client.get(link[:-1] + ("A" if link[-1] != "A" else "B")).status_code == 404
    with tenant_scope(w.a.id, w.o.id), job_session() as s:
        reg = s.scalar(select(Registration).where(Registration.member_id == ids["bob"]))
        reg.survey_sent_at = utcnow() - timedelta(days=31)
    assert 'data-outcome="closed"' in _answer(client, link, 9).get_data(as_text=True)
    assert {r.member_id: r.survey_score for r in pe.registrations(w)}[ids["bob"]] is None
