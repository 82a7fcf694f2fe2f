"""The report list and page, the workflow through the pages, notes, share links and their pages, the PDF."""
from __future__ import annotations

import re
import subprocess

from tests.support import reports as R
from tests.support.http import login, post

BASE = "/acme/coffee/reports"


def _text(pdf: bytes) -> str:
    """The PDF's text in reading order (each headline tile: its name, then its value)."""
    return subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_staff_see_the_list_by_period_and_the_report(client, world):
    first = R.report(world.a, world.o)
    second = R.report(world.a, world.o)
    login(client, "m@acme.test")
    html = client.get(f"{BASE}/").get_data(as_text=True)
    assert html.count('data-testid="report-row"') == 2 and "Version 2" in html and "Generate" in html
    page = client.get(f"{BASE}/{second}").get_data(as_text=True)
    assert "Coffee" in page and "Why loyalty moved" in page and 'data-testid="notes-form"' in page
    assert 'data-testid="approve"' in page
    assert client.get(f"{BASE}/{first}").status_code == 200


def test_a_client_sees_published_reports_only_read_only(client, world):
    draft = R.report(world.a, world.o)
    published = R.report(world.a, world.o, status="published")
    login(client, "c@acme.test")
    html = client.get(f"{BASE}/").get_data(as_text=True)
    assert published in html and draft not in html and "data-testid=\"generator\"" not in html
    assert client.get(f"{BASE}/{draft}").status_code == 404
    page = client.get(f"{BASE}/{published}").get_data(as_text=True)
    assert "notes-form" not in page and "share-panel" not in page and 'data-testid="approve"' not in page
    overview = client.get("/acme/coffee/").get_data(as_text=True)
    assert f"{BASE}/{published}" in overview and 'data-testid="latest-report"' in overview
    for path, data in ((f"{BASE}/{published}/notes", {"work_done": "x"}), (f"{BASE}/generate", {"month": "2026-05"}),
                       (f"{BASE}/{published}/links", {})):
        assert post(client, path, data).status_code == 404


def test_workflow_notes_approve_publish_through_the_page(client, world):
    rid = R.report(world.a, world.o)
    login(client, "m@acme.test")
    post(client, f"{BASE}/{rid}/notes", {"work_done": "Ran the May meet-up", "next_steps": "Invite leaders"})
    assert R.get(world.a, world.o, rid).notes == {"work_done": "Ran the May meet-up", "next_steps": "Invite leaders"}
    assert post(client, f"{BASE}/{rid}/publish").status_code == 409          # not approved yet
    assert post(client, f"{BASE}/{rid}/approve").status_code == 302
    r = post(client, f"{BASE}/{rid}/notes", {"work_done": "changed"})
    assert r.status_code == 422 and R.get(world.a, world.o, rid).notes["work_done"] == "Ran the May meet-up"
    assert post(client, f"{BASE}/{rid}/publish").status_code == 302
    got = R.get(world.a, world.o, rid)
    assert got.status == "published" and got.published_at and got.approved_at
    actions = [a for (a,) in R.sql(world.a, world.o, "SELECT action FROM audit_log ORDER BY id")]
    assert {"report_notes_saved", "report_approved", "report_published"} <= set(actions)


def test_share_link_created_shown_once_counts_views_and_revokes(client, world):
    rid = R.report(world.a, world.o, status="published")
    login(client, "m@acme.test")
    html = post(client, f"{BASE}/{rid}/links", {"expires_days": "7"}, htmx=True).get_data(as_text=True)
    url = re.search(r'data-testid="new-link">([^<]+)<', html).group(1)
    path = url.removeprefix("http://localhost")
    assert path.startswith("/r/") and len(path) > 45
    anonymous = client.application.test_client()
    page = anonymous.get(path)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "noindex" in page.headers["X-Robots-Tag"]
    anonymous.get(path)
    assert R.sql(world.a, world.o, "SELECT views FROM share_link")[0][0] == 2
    link_id = R.sql(world.a, world.o, "SELECT public_id FROM share_link")[0][0]
    post(client, f"{BASE}/{rid}/links/{link_id}/revoke", htmx=True)
    assert anonymous.get(path).status_code == 404 and anonymous.get(path + ".pdf").status_code == 404


def test_share_link_expires_and_never_reaches_another_report(client, world):
    one = R.report(world.a, world.o, status="published")
    other = R.report(world.a, world.o, status="published")
    token = R.share(world.a, world.o, one, expires_days=1)
    anonymous = client.application.test_client()
    html = anonymous.get(f"/r/{token}").get_data(as_text=True)
    assert "Version 1" in html and "Version 2" not in html and other not in html
    assert anonymous.get(f"/r/{token}/{other}").status_code == 404
    R.sql(world.a, world.o, "UPDATE share_link SET expires_at = now() - interval '1 second'")
    assert anonymous.get(f"/r/{token}").status_code == 404
    assert anonymous.get(f"/r/{token[:-2]}xx").status_code == 404


def test_names_are_hidden_on_share_links_unless_allowed(client, world):
    R.sql(world.a, world.o, "UPDATE member SET at_risk = true WHERE display_name = 'Bob'")
    rid = R.report(world.a, world.o, status="published")
    hidden, shown = R.share(world.a, world.o, rid), R.share(world.a, world.o, rid, show_names=True)
    anonymous = client.application.test_client()
    page = anonymous.get(f"/r/{hidden}").get_data(as_text=True)
    assert "Bob" not in page and "Member 1" in page
    assert "Bob" not in _text(anonymous.get(f"/r/{hidden}.pdf").data)
    assert "Bob" in anonymous.get(f"/r/{shown}").get_data(as_text=True)


def test_pdf_holds_the_org_name_and_headline_figures(client, world):
    rid = R.report(world.a, world.o, status="published")
    figures = R.get(world.a, world.o, rid).figures
    login(client, "c@acme.test")
    r = client.get(f"{BASE}/{rid}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and "attachment" in r.headers["Content-Disposition"]
    text = _text(r.data)
    assert "Coffee" in text and "Loyalty report" in text
    assert re.search(rf"Members\s+{int(figures['members'])}\b", text)
    assert re.search(rf"Active this month\s+{int(figures['active_30d'])}\b", text)


def test_pdf_is_in_the_reports_language(client, world):
    rid = R.report(world.a, world.o, status="published")
    R.sql(world.a, world.o, "UPDATE report SET language = 'ru'")
    login(client, "c@acme.test")
    text = _text(client.get(f"{BASE}/{rid}/pdf").data)
    assert "Coffee" in text and "Отчёт о лояльности" in text


def test_bad_input_is_a_clear_4xx(client, world):
    rid = R.report(world.a, world.o)
    login(client, "m@acme.test")
    for data in ({"month": "2026-13"}, {"month": "x"}, {"month": "2999-01"},
                 {"kind": "custom", "start": "2026-05-10", "end": "2026-05-01"}, {"kind": "custom", "start": "x"}):
        r = post(client, f"{BASE}/generate", data, htmx=True)
        assert r.status_code == 422 and 'data-testid="generate-error"' in r.get_data(as_text=True), data
    refused = post(client, f"{BASE}/{rid}/links", {}, htmx=True)                # a draft cannot be shared
    assert refused.status_code == 422 and "Only a published report can be shared." in refused.get_data(as_text=True)
    long = post(client, f"{BASE}/{rid}/notes", {"work_done": "y" * 6000, "next_steps": "kept"})
    html = long.get_data(as_text=True)
    assert long.status_code == 422 and "y" * 6000 in html and "kept" in html
    assert R.get(world.a, world.o, rid).notes["work_done"] == ""
    R.sql(world.a, world.o, "UPDATE report SET status = 'published'")
    for days in ("-3", "0", "366", "x", "1e3"):
        assert post(client, f"{BASE}/{rid}/links", {"expires_days": days}, htmx=True).status_code == 422, days
    assert R.sql(world.a, world.o, "SELECT count(*) FROM share_link")[0][0] == 0
    assert post(client, f"{BASE}/segments", {"segment": "nope"}, htmx=True).status_code == 422
