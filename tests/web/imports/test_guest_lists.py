"""Guest lists of an event, as Luma and Eventbrite export them, through the import pages and a real worker: columns
recognised, members found or added by email, statuses and check-ins, row errors naming the column, and the same
file imported again changing nothing. Another organisation cannot import into the event."""
from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tenants.agency.models import Organisation
from tenants.community.models import Activity, Member
from tenants.community.validate import ActivityIn, IdentityRef
from tenants.core.db import system_scope
from tenants.events.models import Registration
from tests.support import factories
from tests.support.events import event
from tests.support.http import csrf_of, login
from tests.support.imports import last_run, start, work

BASE = "/acme/coffee/imports/"
FIXTURES = Path(__file__).parents[2] / "fixtures" / "guests"
STARTS = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)        # 18:00 in Moscow


def _upload(client, name: str, content: bytes, event_id: str, base: str = BASE):
    token = csrf_of(client, base)
    return client.post(f"{base}upload", data={"csrf_token": token, "kind": "guests", "event": event_id,
                                              "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


@pytest.fixture
def meetup(acme_owner):
    with system_scope() as s:
        o = s.scalar(select(Organisation).where(Organisation.slug == "coffee"))
        s.expunge(o)
    # Anna is a member already (from Telegram, with her email): the guest list finds her by it.
    factories.ingest_into(acme_owner, o, [ActivityIn(
        member=IdentityRef("telegram", "anna", display_name="Anna S", email="anna@x.test"), type="message",
        occurred_at=datetime(2026, 11, 1, tzinfo=UTC), source_id="hello-anna", channel="telegram")])
    return acme_owner, o, event(acme_owner, o, title="Cupping", starts_at="2026-11-28T18:00:00",
                                ends_at="2026-11-28T21:00:00")


def _import(client, worker_env, name: str, event_id: str):
    r = _upload(client, name, (FIXTURES / name).read_bytes(), event_id)
    assert r.status_code == 302 and "kind=guests" in r.headers["Location"], r.status_code
    started, page = start(client, r.headers["Location"], event=event_id)
    assert started.status_code == 302, re.findall(r"notice-error[^<]*>([^<]*)<", started.get_data(as_text=True))
    work(worker_env)
    run = last_run()
    assert run.status == "done", run.error
    return run, page, started.headers["Location"]


def _guessed(html: str) -> dict[str, str]:
    """The mapping page's guess: column name → the field selected for it."""
    headers = re.findall(r"<th>([^<]*)</th>", html.split('class="map-row"')[0])
    selects = re.findall(r'<select name="map_\d+".*?</select>', html, re.S)
    picked = [m.group(1) if (m := re.search(r'<option value="([^"]*)" selected', sel)) else "" for sel in selects]
    return dict(zip(headers, picked, strict=True))


def _registrations() -> dict[str, tuple]:
    with system_scope() as s:
        rows = s.execute(select(Member.email, Registration.status, Registration.source, Registration.checked_in_at,
                                Registration.walk_in).join(Member, Member.id == Registration.member_id)).all()
    return {email: tuple(rest) for email, *rest in rows}


def _state() -> tuple:
    with system_scope() as s:
        return (_registrations(), s.scalar(select(func.count()).select_from(Member)),
                s.scalar(select(func.count()).select_from(Activity)))


def test_a_luma_guest_list_registers_checks_in_and_imports_once(client, meetup, worker_env):
    _a, _o, pid = meetup
    run, page, result_url = _import(client, worker_env, "luma.csv", pid)
    # The preview: the event, the file's rows, and Luma's columns recognised.
    assert "Cupping" in page.text and "Anna Smirnova" in page.text and "gst-9" in page.text
    chosen = _guessed(page.text)
    assert {k: chosen[k] for k in ("email", "name", "created_at", "approval_status", "checked_in_at")} == \
        {"email": "email", "name": "display_name", "created_at": "registered_at", "approval_status": "status",
         "checked_in_at": "checked_in_at"}
    assert {k: run.result[k] for k in ("rows", "imported", "checked_in", "duplicates", "rejected", "skipped")} == \
        {"rows": 10, "imported": 4, "checked_in": 1, "duplicates": 1, "rejected": 4, "skipped": 1}
    regs = _registrations()
    assert regs == {
        "anna@x.test": ("registered", "import", datetime(2026, 11, 28, 15, 5, tzinfo=UTC), False),
        "boris@x.test": ("registered", "import", None, False),
        "vera@x.test": ("waitlisted", "import", None, False),
        "gleb@x.test": ("cancelled", "import", None, False)}
    with system_scope() as s:
        anna = s.scalars(select(Member).where(Member.email == "anna@x.test")).all()
        assert [m.display_name for m in anna] == ["Anna S"]            # found by email, not added again
        assert s.scalar(select(Member.display_name).where(Member.email == "vera@x.test")) == "Vera Lis"
        assert s.scalar(select(func.count()).select_from(Activity).where(Activity.type == "event_attendance")) == 1
    # Each rejected row names its line and the column at fault.
    shown = client.get(result_url).get_data(as_text=True)
    assert re.search(r'data-testid="checked-in">1<', shown) and re.search(r'data-testid="skipped">1<', shown)
    assert f'href="/acme/coffee/events/{pid}" data-testid="import-open-event"' in shown     # the way back to the event
    for reason in ("email is empty: every guest needs an email",
                   "email: &#39;not-an-email&#39; is not an email address",
                   "approval_status: &#39;maybe&#39; is not a guest status I know",
                   "created_at: &#39;someday&#39; is not a date I can read"):
        assert reason in shown, reason
    rejected = client.get(result_url + "/rejected.csv").data.decode("utf-8-sig").splitlines()
    assert rejected[0].startswith("line,reason,api_id,name") and [r.split(",")[0] for r in rejected[1:]] == \
        ["7", "8", "9", "10"]
    # The same file again changes nothing.
    before = _state()
    again, _page, _url = _import(client, worker_env, "luma.csv", pid)
    assert (again.result["imported"], again.result["checked_in"], again.result["duplicates"]) == (0, 0, 5)
    assert _state() == before


def test_an_eventbrite_attendee_report_with_local_times_and_check_ins(client, meetup, worker_env):
    _a, _o, pid = meetup
    run, page, result_url = _import(client, worker_env, "eventbrite.csv", pid)
    assert "Order #" in page.text and "Europe/Moscow" in page.text
    assert {k: run.result[k] for k in ("rows", "imported", "checked_in", "duplicates", "rejected")} == \
        {"rows": 5, "imported": 4, "checked_in": 2, "duplicates": 0, "rejected": 1}
    assert _registrations() == {
        "olga@x.test": ("registered", "import", datetime(2026, 11, 28, 15, 10, tzinfo=UTC), False),
        "pavel@x.test": ("registered", "import", STARTS, False),       # "Checked In" without a time: at the start
        "rita@x.test": ("cancelled", "import", None, False),
        "sam@x.test": ("registered", "import", None, False)}
    with system_scope() as s:
        olga = s.scalar(select(Registration).join(Member, Member.id == Registration.member_id)
                        .where(Member.email == "olga@x.test"))
        assert olga.registered_at == datetime(2026, 11, 20, 10, 34, tzinfo=UTC)      # 1:34 PM in Moscow
    assert "Checked In: &#39;maybe&#39; is neither yes nor no" in client.get(result_url).get_data(as_text=True)
    before = _state()
    again, _page, _url = _import(client, worker_env, "eventbrite.csv", pid)
    assert (again.result["imported"], again.result["checked_in"], again.result["rejected"]) == (0, 0, 1)
    assert _state() == before


def test_the_guest_list_needs_an_event_of_this_organisation_and_an_email_column(client, meetup, app):
    a, _o, pid = meetup
    body = (FIXTURES / "luma.csv").read_bytes()
    r = _upload(client, "luma.csv", body, "")
    assert r.status_code == 422 and "Choose the event the guest list is for." in r.get_data(as_text=True)
    r = _upload(client, "names.csv", b"name;city\nAnn;Kazan\n", pid)
    refused, _page = start(client, r.headers["Location"], event=pid)
    assert refused.status_code == 422 and "guests&#39; emails" in refused.get_data(as_text=True)
    # Another organisation of the agency, and another agency, cannot reach the event.
    tea = factories.org(a, "Tea")
    tea_event = event(a, tea, title="Tea tasting")
    assert _upload(client, "luma.csv", body, tea_event).status_code == 422
    mapping = _upload(client, "luma.csv", body, pid).headers["Location"]
    assert client.get(mapping.replace(pid, tea_event)).status_code == 404
    b = factories.agency("Beta", "o@beta.test")
    factories.org(b, "Beer")
    outsider = app.test_client()
    login(outsider, "o@beta.test")
    assert _upload(outsider, "luma.csv", body, pid, "/beta/beer/imports/").status_code == 422
    assert outsider.get(mapping).status_code == 404
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Registration)) == 0


def test_the_command_line_imports_a_guest_list_once(meetup, worker_env):
    _a, _o, pid = meetup
    command = [sys.executable, "-m", "web.cli", "import", "guests", "acme", "coffee"]
    first = subprocess.run([*command, pid, str(FIXTURES / "eventbrite.csv")], env=worker_env, capture_output=True,
                           text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert '"Attendee Status": "status"' in first.stdout and "imported: 4" in first.stdout
    assert "checked_in: 2" in first.stdout and "rejected: 1" in first.stdout
    again = subprocess.run([*command, pid, str(FIXTURES / "eventbrite.csv")], env=worker_env, capture_output=True,
                           text=True, timeout=120)
    assert "imported: 0" in again.stdout and "duplicates: 4" in again.stdout, again.stderr
    unknown = subprocess.run([*command, "nope", str(FIXTURES / "eventbrite.csv")], env=worker_env,
                             capture_output=True, text=True, timeout=120)
    assert unknown.returncode != 0 and "no event nope" in unknown.stderr
    assert len(_registrations()) == 4
