"""Erasing a member leaves no personal value of theirs anywhere in the database: not in the member's rows, not in
the uploaded files they were imported from, not in the rows those imports rejected, and `rejected.csv` no
longer serves them. Every text, varchar, array, json/jsonb and bytea column of every table is searched as a
superuser (row-level security, forced even on the owner, hides nothing from it)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from tenants.agency.models import Organisation
from tenants.community.models import Member, Upload
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support import factories
from tests.support.api import auth, make_key
from tests.support.database import ADMIN_URL
from tests.support.http import post
from tests.support.imports import last_run, start, upload, work

BASE = "/acme/coffee/imports/"
# Zinaida, as she is written in the files and sent to the API; Boris stays.
MEMBERS = ("ИД;ФИО;Эл. почта;Телефон;Город;Канал\n"
           "zq-4242;Зинаида Квокина;Zinaida.Q@privacy.test;8 912 345-67-89;Квоккаград;telegram\n"
           "b-1;Борис Ким;boris@x.test;;Москва;telegram\n"
           "zq-alt;Зинаида Квокина;не почта;8 912 345-67-89;Квоккаград;telegram\n").encode("cp1251")
ACTIVITIES = ("channel,external_id,name,email,type,date,source_id\n"
              "telegram,zq-4242,Зинаида Квокина,zinaida.q@privacy.test,message,2026-05-01 10:00,a-1\n"
              "telegram,b-1,Борис Ким,boris@x.test,message,2026-05-01 11:00,a-2\n"
              "telegram,zq-4242,Зинаида Квокина,zinaida.q@privacy.test,teleport,2026-05-01 12:00,a-3\n"
              "telegram,zq-4242,Зинаида Квокина,zinaida.q@privacy.test,message,not a date,a-4\n").encode()
PERSONAL = ("Зинаида Квокина", "Квокина", "zinaida.q@privacy.test", "+79123456789", "912 345-67-89", "Квоккаград",
            "zq-4242", "zq-alt", "zq-vk-77", "zinaquokka")
KEPT = ("Борис Ким", "boris@x.test")
ENCODINGS = ("utf-8", "cp1251", "utf-16-le", "utf-16-be")


@pytest.fixture
def superuser(settings):
    url = make_url(ADMIN_URL).set(drivername="postgresql+psycopg", database=make_url(settings.database_url).database)
    engine = create_engine(url)
    yield engine
    engine.dispose()


def _columns(conn) -> list[tuple[str, str, str]]:
    return conn.execute(text(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_schema, table_name) "
        "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND (c.data_type IN "
        "('text', 'character varying', 'character', 'json', 'jsonb', 'bytea') OR c.udt_name IN "
        "('_text', '_varchar'))")).all()


def _found(superuser, value: str) -> list[str]:
    """Where `value` is stored: case-insensitively in text (JSON decoded), in any common encoding in bytes."""
    spellings = {value, value.lower(), value.upper(), value.title()}
    needles = sorted({s.encode(enc) for s in spellings for enc in ENCODINGS
                      if s.encode(enc, errors="ignore").decode(enc) == s})
    hits = []
    with superuser.connect() as conn:
        for table, column, kind in _columns(conn):
            if kind == "bytea":
                sql = (f'SELECT count(*) FROM "{table}" WHERE EXISTS (SELECT 1 FROM unnest(CAST(:needles AS bytea[]))'
                       f' n WHERE position(n IN "{column}") > 0)')
                params = {"needles": needles}
            else:
                cell = f'"{column}"::jsonb::text' if kind == "json" else f'"{column}"::text'
                sql = f'SELECT count(*) FROM "{table}" WHERE strpos(lower({cell}), lower(:v)) > 0'
                params = {"v": value}
            if conn.execute(text(sql), params).scalar():
                hits.append(f"{table}.{column}")
    return hits


def _import(client, worker_env, name: str, content: bytes, kind: str) -> str:
    r = upload(client, BASE, name, content, kind)
    started, _page = start(client, r.headers["Location"], default_channel="telegram")
    assert started.status_code == 302, started.text
    work(worker_env)
    run = last_run()
    assert run.status == "done" and run.result["rejected"] >= 1, (run.error, run.result)
    return started.headers["Location"]


def test_erase_leaves_no_personal_value_anywhere_in_the_database(client, acme_owner, worker_env, superuser):
    members_page = _import(client, worker_env, "участники.csv", MEMBERS, "members")
    activities_page = _import(client, worker_env, "activity.csv", ACTIVITIES, "activities")
    with system_scope() as s:
        coffee = s.scalar(select(Organisation).where(Organisation.slug == "coffee"))
        s.expunge(coffee)
    key = make_key(acme_owner, coffee)
    api = client.post("/api/v1/activities", headers=auth(key), json={"activities": [
        {"member": {"channel": "telegram", "external_id": "zq-4242", "display_name": "Зинаида Квокина"},
         "type": "post", "occurred_at": "2026-05-02T10:00:00Z", "source_id": "api-1", "meta": {"city": "Квоккаград"}},
        {"member": {"channel": "vk", "external_id": "zq-vk-77", "handle": "@zinaquokka",
                    "email": "zinaida.q@privacy.test"}, "type": "reaction", "occurred_at": "2026-05-02T10:30:00Z",
         "source_id": "api-3"},
        {"member": {"channel": "telegram", "external_id": "b-1"}, "type": "reply", "source_id": "api-2",
         "occurred_at": "2026-05-02T11:00:00Z", "target": {"channel": "telegram", "external_id": "zq-4242"}}]})
    assert api.status_code == 200 and api.json["accepted"] == 3, api.json
    for value in PERSONAL + KEPT:             # the search finds each value before: it would find it after
        assert _found(superuser, value), value
    assert "Квоккаград" in client.get(members_page + "/rejected.csv").data.decode("utf-8-sig")

    with system_scope() as s:
        zinaida = s.scalar(select(Member).where(Member.email == "zinaida.q@privacy.test"))
    assert post(client, f"/acme/coffee/members/{zinaida.public_id}/erase", htmx=True).status_code == 204

    assert {value: _found(superuser, value) for value in PERSONAL} == {value: [] for value in PERSONAL}
    # Only she went: Boris is still in his member row and in both files.
    assert {"upload.content", "member.display_name"} <= set(_found(superuser, "Борис Ким"))
    assert "upload.content" in _found(superuser, "boris@x.test")
    for page in (members_page, activities_page):
        rejected = client.get(page + "/rejected.csv")
        assert rejected.status_code == 200
        assert not any(v.lower() in rejected.data.decode("utf-8-sig").lower() for v in PERSONAL)
        assert client.get(page).status_code == 200


def test_erase_touches_only_its_own_organisations_files(client, acme_owner):
    """The same person in another organisation of the agency, or in another agency, is someone else's data."""
    beta = factories.agency("Beta", "o@beta.test")
    with system_scope() as s:
        coffee = s.scalar(select(Organisation).where(Organisation.slug == "coffee"))
        s.expunge(coffee)
    tea, beans = factories.org(acme_owner, "Tea"), factories.org(beta, "Beans")
    files = {}
    for agency, org in ((acme_owner, coffee), (acme_owner, tea), (beta, beans)):
        with tenant_scope(agency.id), job_session() as s:
            up = Upload(org_id=org.id, filename=f"{org.slug}.csv", kind="csv", size=len(MEMBERS), content=MEMBERS)
            s.add(up)
            s.flush()
            files[org.slug] = up.id
    key = make_key(acme_owner, coffee)
    client.post("/api/v1/activities", headers=auth(key), json={"activities": [
        {"member": {"channel": "telegram", "external_id": "zq-4242", "display_name": "Зинаида Квокина"},
         "type": "post", "occurred_at": "2026-05-02T10:00:00Z", "source_id": "api-1"}]})
    with system_scope() as s:
        zinaida = s.scalar(select(Member).where(Member.display_name == "Зинаида Квокина"))
    assert post(client, f"/acme/coffee/members/{zinaida.public_id}/erase", htmx=True).status_code == 204
    with system_scope() as s:
        content = {slug: s.get(Upload, upload_id).content for slug, upload_id in files.items()}
    assert "Квокина".encode("cp1251") not in content["coffee"] and "Борис".encode("cp1251") in content["coffee"]
    assert content["tea"] == content["beans"] == MEMBERS
