"""Members: list, search, paging, bulk actions, profile edits, merge/unmerge, suggestions, privacy."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tenants.community.duplicates import components
from tenants.community.ingest import ingest
from tenants.community.merge import merge, unmerge
from tenants.community.models import Activity, Identity, Member, MemberNote, MemberSearch, MemberTag
from tenants.community.validate import ActivityIn, IdentityRef
from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tenants.core.models import AuditLog
from tests.support import factories
from tests.support.http import login, post

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def act(channel, ext, n, name=None, email=None, target=None, kind="message", prefix="s"):
    return ActivityIn(IdentityRef(channel, ext, handle=f"@{ext}", display_name=name or ext, email=email), kind,
                      T0 + timedelta(hours=n), f"{prefix}-{channel}-{ext}-{n}", channel,
                      target=IdentityRef(channel, target) if target else None)


@pytest.fixture
def org(client):
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "Coffee")
    login(client, "o@acme.test")
    return a, o


def load(a, o, items):
    with tenant_scope(a.id, o.id), job_session() as s:
        result = ingest(s, o.id, items)
    factories.settle(a, o)
    return result


def member(name) -> Member:
    with system_scope() as s:
        m = s.scalar(select(Member).where(Member.display_name == name))
        s.expunge(m)
        return m


def test_list_search_filter_and_keyset_paging(client, org):
    a, o = org
    load(a, o, [act("telegram", f"u{i:03d}", i, name=f"User {i:03d}") for i in range(120)]
         + [act("vk", "olga", 500, name="Ольга Петрова", email="olga@x.test")])
    r = client.get("/acme/coffee/members/")
    assert r.status_code == 200 and "Counting" in r.text          # the total arrives in its own request
    assert "121 members" in client.get("/acme/coffee/members/count", headers={"HX-Request": "true"}).text
    assert "1 member" in client.get("/acme/coffee/members/count?channel=vk", headers={"HX-Request": "true"}).text
    names = re.findall(r'class="member-link".*?<strong>([^<]+)</strong>', r.text)
    assert names[0] == "Ольга Петрова"                        # most recently active first
    cursor = re.search(r"cursor=([^\"&]+)", r.text).group(1)
    more = client.get(f"/acme/coffee/members/?cursor={cursor}",        # "Show more" swaps its own row
                      headers={"HX-Request": "true", "HX-Target": "member-rows-more"})
    assert "<html" not in more.text and 'id="results"' not in more.text and "User 070" in more.text
    assert client.get("/acme/coffee/members/?q=петров").text.count('name="ids"') == 1
    assert client.get("/acme/coffee/members/?q=@u007").text.count('name="ids"') == 1
    assert client.get("/acme/coffee/members/?q=olga@x").text.count('name="ids"') == 1
    assert client.get("/acme/coffee/members/?channel=vk").text.count('name="ids"') == 1
    by_name = client.get("/acme/coffee/members/?sort=name").text
    assert re.findall(r'class="member-link".*?<strong>([^<]+)</strong>', by_name)[0] == "User 000"


def test_bulk_tag_flag_and_export(client, org):
    a, o = org
    load(a, o, [act("telegram", n, i, name=n) for i, n in enumerate(["ann", "bob", "=cmd"])])
    ids = [member(n).public_id for n in ("ann", "bob", "=cmd")]
    r = post(client, "/acme/coffee/members/bulk", {"ids": ids[:2], "action": "tag", "tag": "VIP"}, htmx=True)
    assert r.status_code == 200 and "2 members updated" in r.text
    assert client.get("/acme/coffee/members/?tag=vip").text.count('name="ids"') == 2
    post(client, "/acme/coffee/members/bulk", {"ids": [ids[1]], "action": "bot"}, htmx=True)
    assert client.get("/acme/coffee/members/").text.count('name="ids"') == 2      # bots are kept apart
    assert client.get("/acme/coffee/members/?kind=bot").text.count('name="ids"') == 1
    bad = post(client, "/acme/coffee/members/bulk", {"ids": ids, "action": "tag", "tag": "<script>"}, htmx=True)
    assert bad.status_code == 422
    csv_body = post(client, "/acme/coffee/members/bulk", {"ids": ids, "action": "export"}).data.decode("utf-8-sig")
    assert "'=cmd" in csv_body and "vip" in csv_body


def test_profile_edit_notes_attributes_and_timeline(client, org):
    a, o = org
    load(a, o, [act("telegram", "ann", i, kind="message" if i % 2 else "reaction") for i in range(40)])
    ann = member("ann")
    url = f"/acme/coffee/members/{ann.public_id}"
    assert post(client, "/acme/coffee/members/attributes", {"label": "Loyalty card", "kind": "choice",
                                                             "choices": "Silver, Gold"}, htmx=True).status_code == 200
    assert post(client, "/acme/coffee/members/attributes", {"label": "Birthday", "kind": "date"},
                htmx=True).status_code == 200
    r = post(client, f"{url}/fields", {"display_name": "Anna K", "email": "ANNA@x.test", "phone": "8 (999) 123-45-67",
                                      "city": "Kazan", "followers": "1 200", "attr_loyalty_card": "Gold",
                                      "attr_birthday": "1990-04-02"}, htmx=True)
    assert r.status_code == 200 and "Saved." in r.text
    bad = post(client, f"{url}/fields", {"display_name": "Anna K", "attr_loyalty_card": "Platinum"}, htmx=True)
    assert bad.status_code == 422 and "Loyalty card must be one of the choices." in bad.text
    m = member("Anna K")
    assert (m.email, m.phone, m.city, m.followers) == ("anna@x.test", "+79991234567", "Kazan", 1200)
    # Search reads member_search, which triggers on member keep in step with the edit.
    for q, hits in (("anna k", 1), ("anna@x", 1), ("9991234567", 1), ("ann", 1), ("zzz", 0)):
        assert client.get(f"/acme/coffee/members/?q={q}").text.count('name="ids"') == hits, q
    assert m.attributes == {"loyalty_card": "Gold", "birthday": "1990-04-02"}
    assert post(client, f"{url}/notes", {"body": "Met at the meetup"}, htmx=True).status_code == 200
    assert post(client, f"{url}/tags", {"tag": "Speaker"}, htmx=True).status_code == 200
    page = client.get(url).text
    assert "Met at the meetup" in page and "speaker" in page and "Olga" not in page
    assert page.count('class="when"') == 30                   # first page of the timeline
    before = re.search(r"before=([^\"&]+)", page).group(1)
    older = client.get(f"{url}?before={before}", headers={"HX-Request": "true", "HX-Target": "timeline-more"}).text
    assert older.count('class="when"') == 10 and 'id="timeline"' not in older      # the rows alone
    only = client.get(f"{url}?type=reaction", headers={"HX-Request": "true", "HX-Target": "timeline"}).text
    assert only.count('class="when"') == 20


def test_merge_and_unmerge_round_trip_keeps_every_activity(org):
    a, o = org
    load(a, o, [act("telegram", "ann", i) for i in range(5)] + [act("vk", "anna", 10 + i) for i in range(3)]
         + [act("telegram", "bob", 30, target="ann", kind="reply")])
    ann, anna = member("ann"), member("anna")
    with tenant_scope(a.id, o.id), job_session() as s:
        s.add(MemberNote(member_id=anna.id, org_id=o.id, body="vk note"))
        s.add(MemberTag(member_id=anna.id, org_id=o.id, tag="vk-fan"))
    before = _activity_owners()
    with tenant_scope(a.id, o.id), job_session() as s:
        record = merge(s, s.get(Member, ann.id), s.get(Member, anna.id), Actor(email="t"))
        s.flush()
        record_id = record.id
    merged = member("ann")
    assert merged.activity_count == 8
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Activity).where(Activity.member_id == ann.id)) == 8
        assert set(s.scalars(select(Identity.channel).where(Identity.member_id == ann.id))) == {"telegram", "vk"}
        assert set(s.scalars(select(MemberTag.tag).where(MemberTag.member_id == ann.id))) == {"vk-fan"}
    with tenant_scope(a.id, o.id), job_session() as s:
        from tenants.community.models import MemberMerge
        unmerge(s, s.get(MemberMerge, record_id), Actor(email="t"))
    assert _activity_owners() == before
    assert (member("ann").activity_count, member("anna").activity_count) == (5, 3)
    with system_scope() as s:
        assert s.scalar(select(MemberNote.member_id)) == anna.id
        assert s.scalar(select(MemberTag.member_id).where(MemberTag.tag == "vk-fan")) == anna.id
        assert s.scalar(select(func.count()).select_from(Activity)) == 9


def _activity_owners():
    with system_scope() as s:
        return sorted(s.execute(select(Activity.source_id, Activity.member_id, Activity.target_member_id)).all())


def test_merge_through_the_ui_and_undo(client, org):
    a, o = org
    load(a, o, [act("telegram", "ann", 1), act("vk", "anna", 2)])
    ann, anna = member("ann"), member("anna")
    link = f"http://localhost/acme/coffee/members/{anna.public_id}"
    r = post(client, f"/acme/coffee/members/{ann.public_id}/merge", {"other": link}, htmx=True)
    assert r.status_code == 204 and r.headers["HX-Redirect"].endswith(ann.public_id)
    page = client.get(f"/acme/coffee/members/{ann.public_id}").text
    assert "Undo" in page and "anna" in page
    assert client.get("/acme/coffee/members/").text.count('name="ids"') == 1
    merge_id = re.search(r"/merges/([^/]+)/undo", page).group(1)
    post(client, f"/acme/coffee/members/merges/{merge_id}/undo", htmx=True)
    assert client.get("/acme/coffee/members/").text.count('name="ids"') == 2


def test_suggestions_find_same_email_handle_and_transliterated_names_and_remember_dismissal(client, org):
    a, o = org
    load(a, o, [act("telegram", "t1", 1, name="Юлия Ковалёва"), act("vk", "v1", 2, name="Yulia Kovaleva"),
                act("telegram", "t2", 3, name="Pavel", email="p@x.test"),
                act("email", "p-mail", 4, name="P.", email="p@x.test"),
                act("telegram", "marat_k", 5, name="Marat"), act("instagram", "marat_k", 6, name="M K"),
                act("telegram", "t3", 7, name="Anna"), act("vk", "v3", 8, name="Anna")])
    client.get("/acme/coffee/members/duplicates")                  # keys the members' names
    with tenant_scope(a.id, o.id), job_session() as s:
        found = {(frozenset(s.get(Member, i).display_name for i in ids), frozenset(reasons))
                 for ids, reasons in components(s, o.id)}
    assert (frozenset({"Юлия Ковалёва", "Yulia Kovaleva"}), frozenset({"name"})) in found
    assert (frozenset({"Marat", "M K"}), frozenset({"handle"})) in found
    # "Pavel" and "P." share an email, so ingestion already made them one member: nothing to suggest.
    assert member("Pavel").activity_count == 2
    assert len(found) == 2                                     # a lone "Anna" twice is not enough
    page = client.get("/acme/coffee/members/duplicates")
    assert page.text.count('data-testid="suggestion"') == 2
    yulia, kov = member("Юлия Ковалёва"), member("Yulia Kovaleva")
    r = post(client, "/acme/coffee/members/duplicates/bulk", {"dismiss_one": f"{yulia.public_id} {kov.public_id}"},
             htmx=True)
    assert r.text.count('data-testid="suggestion"') == 1
    assert client.get("/acme/coffee/members/duplicates").text.count('data-testid="suggestion"') == 1


def test_export_and_erase_leave_nothing_personal(client, org):
    a, o = org
    load(a, o, [act("telegram", "ann", i, name="Ann Secret", email="ann@secret.test") for i in range(3)]
         + [act("telegram", "bob", 9, target="ann", kind="reply")])
    ann = member("Ann Secret")
    url = f"/acme/coffee/members/{ann.public_id}"
    post(client, f"{url}/notes", {"body": "private note"}, htmx=True)
    post(client, f"{url}/fields", {"display_name": "Ann Secret", "email": "ann@secret.test",
                                   "phone": "+7 999 000-11-22"}, htmx=True)
    export = client.get(f"{url}/export")
    data = json.loads(export.data)
    assert data["email"] == "ann@secret.test" and len(data["activities"]) == 3
    assert data["phone"] == "+79990001122"                      # exact in JSON, no spreadsheet escaping
    assert data["notes"][0]["text"] == "private note"
    assert post(client, f"{url}/erase", htmx=True).status_code == 204
    factories.settle(a, o)      # the re-score the erasure queued leaves the tombstone's aggregate figures alone
    with system_scope() as s:
        m = s.get(Member, ann.id)
        assert (m.display_name, m.email, m.erased_at is not None) == ("", None, True)
        assert (m.activity_count, m.first_seen_at) == (ann.activity_count, ann.first_seen_at) and m.activity_count == 3
        assert s.scalar(select(func.count()).select_from(Activity).where(Activity.member_id == ann.id)) == 0
        assert s.scalar(select(func.count()).select_from(Identity).where(Identity.member_id == ann.id)) == 0
        assert s.scalar(select(func.count()).select_from(MemberNote)) == 0
        assert s.scalar(select(Activity.target_member_id).where(Activity.type == "reply")) is None
        assert s.execute(select(MemberSearch.sort_name, MemberSearch.email, MemberSearch.phone)
                         .where(MemberSearch.member_id == ann.id)).one() == ("", None, None)
        actions = set(s.scalars(select(AuditLog.action)))
    assert {"member_exported", "member_erased"} <= actions
    assert client.get(url).status_code == 404
    assert "Ann Secret" not in client.get("/acme/coffee/members/?kind=all").text


def test_stage_filter(client, org):
    a, o = org
    load(a, o, [act("telegram", n, i) for i, n in enumerate(["ann", "bob"])])
    with system_scope() as s:
        s.execute(Member.__table__.update().where(Member.display_name == "ann").values(stage="loyal"))
    page = client.get("/acme/coffee/members/?stage=loyal").text
    assert page.count('name="ids"') == 1 and ">ann<" in page
    assert client.get("/acme/coffee/members/?stage=bogus").text.count('name="ids"') == 2


def test_sort_by_score_ranks_by_current_score_and_pages_without_gaps(org):
    """The list sorted by score follows each member's current score (B: the same ranking, and what the index
    holds), across members scored at different moments, with keyset pages that repeat and miss nobody."""
    from tenants import scoring
    from tenants.community import members as member_list
    from tenants.scoring import sql as scoring_sql
    from tenants.segments import filters
    a, o = org
    # Member i writes i messages: the ranking is known. Ten more than a page.
    load(a, o, [act("telegram", f"r{i:02d}", i * 100 + k, name=f"R{i:02d}") for i in range(1, 26) for k in range(i)])
    # One member re-scored much later than the rest (their stored E is as of another moment).
    load(a, o, [act("telegram", "r03", 5000, name="R03")])
    with tenant_scope(a.id, o.id), job_session() as s:
        scoring.full(s, o.id, as_of=T0 + timedelta(days=400))
    load(a, o, [act("telegram", "r04", 6000, name="R04")])
    seen, cursor = [], None
    with tenant_scope(a.id, o.id), job_session() as s:
        model = scoring.current_model(s, o.id)
        while True:
            page = filters.page(s, o.id, member_list.MemberFilter(sort="score"), limit=10, cursor=cursor)
            seen += [(m.display_name, m.score_base) for m in page.members]
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        now = scoring_sql.decay(model, T0 + timedelta(days=500))
    names = [n for n, _b in seen]
    assert len(names) == len(set(names)) == 25
    current = [b * now for _n, b in seen]
    assert current == sorted(current, reverse=True)
    assert names[0] == "R25" and names[-1] == "R01"


def test_the_list_shows_each_members_stage_score_and_loyalty(client, org):
    a, o = org
    load(a, o, [act("telegram", "ann", 1), act("telegram", "ann", 2), act("telegram", "bob", 3)])
    with system_scope() as s:
        s.execute(Member.__table__.update().where(Member.display_name == "ann")
                  .values(stage="loyal", score=1234.56, loyalty_index=71.6))
        s.execute(Member.__table__.update().where(Member.display_name == "bob")
                  .values(stage=None, score=None, loyalty_index=None))
    rows = {name: row for row in client.get("/acme/coffee/members/").text.split("<tr>")
            for name in ("ann", "bob") if f">{name}<" in row}
    assert '<span class="badge stage-loyal">Loyal</span>' in rows["ann"]
    assert '<td class="num col-score">1,234.6</td>' in rows["ann"]
    assert '<td class="num col-loyalty">72</td>' in rows["ann"]
    assert '<td class="num col-score">—</td>' in rows["bob"] and '<td class="num col-loyalty">—</td>' in rows["bob"]
    post(client, "/lang", {"lang": "ru", "next": "/acme/"})
    assert "1\xa0234,6" in client.get("/acme/coffee/members/").text      # the user's locale formats the score
