"""Telegram Desktop exports: members, messages, replies, reactions, service joins; re-import adds only news."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from tenants.agency.models import Organisation
from tenants.community.models import Activity, Identity, Member
from tenants.core.db import system_scope
from tests.support.imports import last_run, upload, work

BASE = "/acme/coffee/imports/"


def message(i, user, name, ts, text="hi", reply_to=None, reactions=None):
    m = {"id": i, "type": "message", "date": "2026-05-01T10:00:00", "date_unixtime": str(ts), "from": name,
         "from_id": f"user{user}", "text": text, "text_entities": []}
    if reply_to:
        m["reply_to_message_id"] = reply_to
    if reactions:
        m["reactions"] = reactions
    return m


def chat(messages, chat_id=777):
    return {"name": "Coffee lovers", "type": "public_supergroup", "id": chat_id, "messages": messages}


T = 1777600000  # 2026-05-01


def first_export():
    return chat([
        {"id": 1, "type": "service", "date": "2026-05-01T09:00:00", "date_unixtime": str(T - 60), "actor": "Anna",
         "actor_id": "user1", "action": "join_group_by_link"},
        message(2, 1, "Anna", T, "Привет всем", reactions=[
            {"type": "emoji", "count": 2, "emoji": "👍", "recent": [
                {"from": "Boris", "from_id": "user2", "date": "2026-05-01T10:01:00"},
                {"from": "Vera", "from_id": "user3", "date": "2026-05-01T10:02:00"}]}]),
        message(3, 2, "Boris", T + 60, [{"type": "bold", "text": "Hello"}, " Anna"], reply_to=2),
        {"id": 4, "type": "service", "date": "2026-05-01T10:05:00", "date_unixtime": str(T + 300), "actor": "Boris",
         "actor_id": "user2", "action": "invite_members", "members": ["Gleb"]},
        {"id": 5, "type": "message", "date": "2026-05-01T10:06:00", "date_unixtime": str(T + 360), "text": "?"},
    ])


def _activities():
    with system_scope() as s:
        rows = s.execute(select(Activity.type, Activity.source_id, Activity.meta, Identity.external_id)
                         .join(Identity, Identity.member_id == Activity.member_id).order_by(Activity.source_id)).all()
        return rows


def test_telegram_export_becomes_members_and_activity(client, acme_owner, worker_env):
    r = upload(client, BASE, "result.json", json.dumps(first_export(), ensure_ascii=False).encode(), "telegram")
    assert r.status_code == 302 and "/imports/jobs/" in r.headers["Location"]
    work(worker_env)
    res = last_run().result
    assert (res["messages"], res["imported"], res["rejected"], res["members_created"]) == (5, 6, 1, 3)
    kinds = {(t, ext) for t, _src, _meta, ext in _activities()}
    assert kinds == {("join", "1"), ("message", "1"), ("reaction", "2"), ("reaction", "3"), ("reply", "2"),
                     ("referral", "2")}
    with system_scope() as s:
        reply = s.scalar(select(Activity).where(Activity.type == "reply"))
        anna = s.scalar(select(Member).where(Member.display_name == "Anna"))
        assert reply.target_member_id == anna.id
        reaction_targets = set(s.scalars(select(Activity.target_member_id).where(Activity.type == "reaction")))
        assert reaction_targets == {anna.id}
        assert reply.occurred_at.timestamp() == T + 60                    # date_unixtime, not the local date
    assert all("text" not in meta for _t, _s, meta, _e in _activities())  # text is not kept by default
    page = client.get(r.headers["Location"])
    assert "message without an author" in page.text


def test_reimport_and_overlapping_later_export_add_only_what_is_new(client, acme_owner, worker_env):
    with system_scope() as s:
        s.scalar(select(Organisation)).store_message_text = True
    raw = json.dumps(first_export(), ensure_ascii=False).encode()
    upload(client, BASE, "result.json", raw, "telegram")
    work(worker_env)
    upload(client, BASE, "result.json", raw, "telegram")
    work(worker_env)
    assert (last_run().result["imported"], last_run().result["duplicates"]) == (0, 6)
    later = first_export()
    later["messages"] = later["messages"][2:] + [message(6, 4, "Gleb", T + 900, "Я новенький")]
    upload(client, BASE, "result.json", json.dumps(later, ensure_ascii=False).encode(), "telegram")
    work(worker_env)
    assert (last_run().result["imported"], last_run().result["members_created"]) == (1, 1)
    texts = {src: meta.get("text") for _t, src, meta, _e in _activities()}
    assert texts["tg:777:6"] == "Я новенький" and texts["tg:777:3"] == "Hello Anna"
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 4


def test_whole_account_export_with_chats_list(client, acme_owner, worker_env):
    export = {"about": "Here is the data you requested", "chats": {"about": "...", "list": [
        chat([message(1, 10, "Ira", T)], chat_id=1),
        chat([message(1, 10, "Ira", T + 5), message(2, 11, "Oleg", T + 9)], chat_id=2),
        {"type": "saved_messages", "id": 3, "messages": [message(1, 99, "Me", T)]}]}}
    upload(client, BASE, "result.json", json.dumps(export).encode(), "telegram")
    work(worker_env)
    res = last_run().result
    assert (res["chats"], res["imported"], res["members_created"]) == (2, 3, 2)
