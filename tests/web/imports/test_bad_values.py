"""Values that a column or the scoring cannot take, in every kind of import: each is a rejected row with its
reason (translated on the page), never a stored value; "skip" stores exactly the good rows, "all or nothing"
changes no table, and the organisation's scoring still succeeds afterwards."""
from __future__ import annotations

import json

from sqlalchemy import select

from tenants.community.models import Activity, Identity, Member, MemberTag
from tenants.core.db import system_scope
from tests.support.http import post
from tests.support.imports import last_run, scoring_succeeds, snapshot, start, upload, work

BASE = "/acme/coffee/imports/"
T = 1777600000  # 2026-05-01


def _source_ids() -> set[str]:
    with system_scope() as s:
        return set(s.scalars(select(Activity.source_id)))


def _members() -> dict[str, Member]:
    with system_scope() as s:
        rows = s.execute(select(Identity.external_id, Member).join(Member, Member.id == Identity.member_id)).all()
        for _ext, m in rows:
            s.expunge(m)
        return dict(rows)


def _message(i, user, name, ts=T, **extra):
    return {"id": i, "type": "message", "date": "2026-05-01T10:00:00", "date_unixtime": str(ts), "from": name,
            "from_id": f"user{user}", "text": "hi", **extra}


def test_a_telegram_export_with_bad_messages_imports_the_rest(client, acme_owner, worker_env):
    export = {"name": "Coffee lovers", "type": "public_supergroup", "id": 777, "messages": [
        _message(1, 1, "Anna", reactions=[{"type": "emoji", "emoji": "👍", "recent": [{"from": "Boris",
                                                                                        "from_id": "user2"}]}]),
        _message(2, 3, "Vera", ts=253402214400),                       # 9999-12-31
        _message(int("9" * 250), 4, "Gleb"),                            # an id no column holds
        "not a message",
        _message(5, 5, "Dina", reactions=["x"]),
        _message(6, 6, "Ann\x00a"),                                     # a NUL in a name
        _message(7, 7, "Lone \ud800"),                                  # a lone surrogate
        _message(8, 2, "Boris", reply_to_message_id=1),
    ]}
    r = upload(client, BASE, "result.json", json.dumps(export).encode(), "telegram")
    assert r.status_code == 302
    work(worker_env)
    run = last_run()
    assert run.status == "done", run.error
    assert (run.result["imported"], run.result["rejected"]) == (3, 6)
    assert _source_ids() == {"tg:777:1", "tg:777:1:r:2:👍", "tg:777:8"}
    assert set(_members()) == {"1", "2"}
    page = client.get(r.headers["Location"]).text
    for reason in ("date is in the future", "message id", "message must be an object",
                   "reactions must be a list of objects", "contains a NUL character", "a lone surrogate"):
        assert reason in page
    assert "DataError" not in page and "Traceback" not in page
    post(client, "/lang", {"lang": "ru", "next": "/"})
    page = client.get(r.headers["Location"]).text
    assert "указывает на будущее" in page and "сообщение должно быть объектом" in page
    assert "одиночный суррогат" in page and "содержит символ NUL" in page
    rejected = client.get(r.headers["Location"] + "/rejected.csv").data.decode("utf-8-sig")
    assert "message 6" in rejected and "\x00" not in rejected
    scoring_succeeds(worker_env)


def _activities_csv(rows: list[str]) -> bytes:
    return ("member,name,type,date,source_id,weight\n" + "\n".join(rows) + "\n").encode()


BAD_ACTIVITIES = ["u2,Bob,message,2026-05-01 10:00,huge,1e308",
                  "u3,Cy,message,2026-05-01 10:00,negative,-1000",
                  "u4,Di,message,9999-12-31 10:00,future,",
                  "u5,Ed,message,0001-01-01 10:00,ancient,",
                  "u6,E\x00d,message,2026-05-01 10:00,nul,",
                  "u7,Fy,message,2026-05-01 10:00," + "s" * 201 + ",",
                  "u8,Gil,message,2026-05-01 10:00,nan,NaN",
                  "u" + "9" * 201 + ",Hu,message,2026-05-01 10:00,long-id,"]


def test_bad_activity_values_are_rejected_rows_in_both_modes(client, acme_owner, worker_env, owner_engine):
    first = upload(client, BASE, "first.csv", _activities_csv(["u1,Ann,message,2026-05-01 09:00,good0,2"]),
                   "activities")
    start(client, first.headers["Location"].replace("kind=members", "kind=activities"), default_channel="telegram")
    work(worker_env)
    before = snapshot(owner_engine)
    body = _activities_csv(["u1,Ann,message,2026-05-01 10:00,good1,5", *BAD_ACTIVITIES,
                            "u10,Ivy,reply,2026-05-01 11:00,good2,0"])
    r = upload(client, BASE, "log.csv", body, "activities")
    mapping_url = r.headers["Location"].replace("kind=members", "kind=activities")
    all_or_nothing, _ = start(client, mapping_url, default_channel="telegram", mode="all")
    work(worker_env)
    assert last_run().result["aborted"] and last_run().result["rejected"] == len(BAD_ACTIVITIES)
    assert snapshot(owner_engine) == before                     # no table changed
    page = client.get(all_or_nothing.headers["Location"]).text
    assert "Nothing was imported" in page and "weight must be a number from 0 to 1000" in page
    skip, _ = start(client, mapping_url, default_channel="telegram", mode="skip")
    work(worker_env)
    assert (last_run().result["imported"], last_run().result["rejected"]) == (2, len(BAD_ACTIVITIES))
    assert _source_ids() == {"good0", "good1", "good2"}
    assert set(_members()) == {"u1", "u10"}
    page = client.get(skip.headers["Location"]).text
    for reason in ("weight must be a number from 0 to 1000", "date is in the future", "date is before 2000",
                   "contains a NUL character", "source_id is longer than 200 characters",
                   "member.external_id is longer than 200 characters"):
        assert reason in page
    post(client, "/lang", {"lang": "ru", "next": "/"})
    assert "поле weight должно быть числом от 0 до 1000" in client.get(skip.headers["Location"]).text
    assert "line,reason" in client.get(skip.headers["Location"] + "/rejected.csv").data.decode("utf-8-sig")
    scoring_succeeds(worker_env)


BAD_MEMBERS = ["102,Bob,-5,,", "103,Cy,99999999999,,", "104,Di,,vip,"  + "К" * 121, "105,Ed,,bad!tag,",
               "106,E\x00d,,,", "107,Fy,12abc,,"]


def test_bad_member_values_are_rejected_rows_in_both_modes(client, acme_owner, worker_env, owner_engine):
    head = "id,name,followers,tags,city\n"
    first = upload(client, BASE, "first.csv", (head + "100,Ann,10,vip,Казань\n").encode(), "members")
    start(client, first.headers["Location"], default_channel="vk")
    work(worker_env)
    before = snapshot(owner_engine)
    body = (head + "\n".join(["101,Vera,1 200,speaker,Москва", *BAD_MEMBERS]) + "\n").encode()
    r = upload(client, BASE, "m.csv", body, "members")
    start(client, r.headers["Location"], default_channel="vk", mode="all")
    work(worker_env)
    assert last_run().result["aborted"] and last_run().result["rejected"] == len(BAD_MEMBERS)
    assert snapshot(owner_engine) == before
    skip, _ = start(client, r.headers["Location"], default_channel="vk", mode="skip")
    work(worker_env)
    assert (last_run().result["imported"], last_run().result["rejected"]) == (1, len(BAD_MEMBERS))
    members = _members()
    assert set(members) == {"100", "101"} and (members["101"].followers, members["101"].city) == (1200, "Москва")
    with system_scope() as s:
        assert set(s.scalars(select(MemberTag.tag))) == {"vip", "speaker"}
    page = client.get(skip.headers["Location"]).text
    for reason in ("followers must be a whole number from 0 to 2147483647", "city is longer than 120 characters",
                   "tag &#39;bad!tag&#39;", "contains a NUL character", "is not a whole number"):
        assert reason in page
    scoring_succeeds(worker_env)
