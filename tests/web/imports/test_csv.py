"""CSV import through the UI and a real worker: encodings, mapping, bad rows, modes, idempotency."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from tenants.agency.models import JobRun
from tenants.community.models import Activity, Member, MemberTag
from tenants.core.db import system_scope
from tests.support.http import post
from tests.support.imports import descendants, last_run, start, upload, work

BASE = "/acme/coffee/imports/"
MEMBERS_CP1251 = ("ИД;ФИО;Эл. почта;Телефон;Город;Теги;Подписчики;Канал\n"
                  "101;Анна Смирнова;anna@x.test;8 999 111-22-33;Казань;vip, спикер;1200;telegram\n"
                  "102;Борис Ким;boris@x.test;;Москва;;;telegram\n"
                  "103;Вера;не почта;;;;;telegram\n"
                  "101;Анна Смирнова (дубль);;;;;;telegram\n").encode("cp1251")


def _counts():
    with system_scope() as s:
        return (s.scalar(select(func.count()).select_from(Member)),
                s.scalar(select(func.count()).select_from(Activity)))


def test_members_csv_from_russian_excel_imports_once(client, acme_owner, worker_env):
    r = upload(client, BASE, "участники.csv", MEMBERS_CP1251, "members")
    assert r.status_code == 302 and "/uploads/" in r.headers["Location"]
    r, page = start(client, r.headers["Location"])
    assert "cp1251" in page.text and "Анна Смирнова" in page.text      # decoded preview
    assert r.status_code == 302
    work(worker_env)
    run = last_run()
    assert run.status == "done", run.error
    assert {k: run.result[k] for k in ("rows", "imported", "updated", "duplicates", "rejected")} == \
        {"rows": 4, "imported": 2, "updated": 0, "duplicates": 1, "rejected": 1}
    result = client.get(r.headers["Location"])
    assert "line" in result.text.lower() and "email is not a valid address" in result.text
    assert re.search(r'data-testid="imported">2<', result.text)
    with system_scope() as s:
        anna = s.scalar(select(Member).where(Member.email == "anna@x.test"))
        assert (anna.display_name, anna.phone, anna.city, anna.followers) == ("Анна Смирнова", "+79991112233",
                                                                             "Казань", 1200)
        assert set(s.scalars(select(MemberTag.tag).where(MemberTag.member_id == anna.id))) == {"vip", "спикер"}
    rejected = client.get(r.headers["Location"] + "/rejected.csv").data.decode("utf-8-sig")
    assert rejected.splitlines()[0].startswith("line,reason,ИД") and "4," in rejected.splitlines()[1]
    # Second time: nothing new, nothing changed.
    r2 = upload(client, BASE, "участники.csv", MEMBERS_CP1251, "members")
    start(client, r2.headers["Location"])
    work(worker_env)
    again = last_run().result
    assert (again["imported"], again["updated"], again["duplicates"]) == (0, 0, 3)
    assert _counts()[0] == 2


def test_activities_csv_with_bad_rows_skip_and_all_or_nothing(client, acme_owner, worker_env):
    body = ("\ufeffmember_id,name,type,date,reply_to\n"
            "u1,Ann,message,2026-05-01 10:00,\n"
            "u2,Bob,reply,01.05.2026 11:30,u1\n"
            "u3,Cy,dance,2026-05-01 12:00,\n"
            "u4,Di,reaction,someday,\n").encode("utf-8")
    r = upload(client, BASE, "log.csv", body, "activities")
    mapping_url = r.headers["Location"].replace("kind=members", "kind=activities")
    r_all, _page = start(client, mapping_url, default_channel="telegram", mode="all", tz="Europe/Moscow")
    work(worker_env)
    res = last_run().result
    assert res["aborted"] and res["imported"] == 0 and res["rejected"] == 2
    assert _counts() == (0, 0)
    assert "Nothing was imported" in client.get(r_all.headers["Location"]).text
    r_skip, _ = start(client, mapping_url, default_channel="telegram", mode="skip", tz="Europe/Moscow")
    work(worker_env)
    res = last_run().result
    assert (res["imported"], res["rejected"]) == (2, 2)
    with system_scope() as s:
        reply = s.scalar(select(Activity).where(Activity.type == "reply"))
        assert reply.occurred_at.isoformat() == "2026-05-01T08:30:00+00:00"      # Moscow time → UTC
        assert reply.target_member_id is not None
    text = client.get(r_skip.headers["Location"]).text
    assert "type &#39;dance&#39; is not one of" in text and "is not a date I can read" in text
    start(client, mapping_url, default_channel="telegram", mode="skip", tz="Europe/Moscow")
    work(worker_env)
    assert (last_run().result["imported"], last_run().result["duplicates"]) == (0, 2)


def test_mapping_must_name_members_and_activity_fields(client, acme_owner):
    r = upload(client, BASE, "x.csv", b"foo;bar\n1;2\n", "members")
    bad, _ = start(client, r.headers["Location"])
    assert bad.status_code == 422 and "External id or to Email" in bad.text


def test_wrong_kind_empty_and_oversized_files_get_clear_messages(client, acme_owner, monkeypatch):
    xlsx = upload(client, BASE, "book.xlsx", b"PK\x03\x04 binary", "members")
    assert xlsx.status_code == 422 and "Save it as CSV" in xlsx.text or "Upload a .csv file" in xlsx.text
    assert "not a Telegram JSON export" in upload(client, BASE, "chat.json", b"{}", "telegram").text
    assert "The file is empty." in upload(client, BASE, "e.csv", b"", "members").text
    import web.imports.views
    monkeypatch.setattr(web.imports.views, "MAX_BYTES", 100)
    big = upload(client, BASE, "big.csv", b"id;name\n" + b"1;x\n" * 100, "members")
    assert big.status_code == 413 and "larger than" in big.text
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(JobRun)) == 0


def test_import_killed_halfway_and_run_again_loses_and_doubles_nothing(client, acme_owner, worker_env):
    rows = "\n".join(f"m{i % 3000},message,2026-0{1 + i % 9}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z,src{i}"
                     for i in range(30000))
    body = ("member,type,date,source_id\n" + rows + "\n").encode()
    r = upload(client, BASE, "big.csv", body, "activities")
    mapping_url = r.headers["Location"].replace("kind=members", "kind=activities")
    start(client, mapping_url, default_channel="telegram", mode="skip")
    worker = subprocess.Popen([sys.executable, "-m", "web.cli", "worker", "--burst"], env=worker_env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        with system_scope() as s:
            progress = s.scalar(select(JobRun.progress).where(JobRun.kind == "csv_import")
                                .order_by(JobRun.id.desc()).limit(1)) or 0
        if progress >= 30:
            break
        time.sleep(0.05)
    for pid in [worker.pid, *descendants(worker.pid)]:   # the worker and its work horse, mid-import
        os.kill(pid, signal.SIGKILL)
    worker.wait()
    time.sleep(0.5)
    partial = _counts()[1]
    assert 0 < partial < 30000
    start(client, mapping_url, default_channel="telegram", mode="skip")
    work(worker_env)
    assert last_run().status == "done"
    assert _counts() == (3000, 30000)
    assert last_run().result["duplicates"] == partial


def test_rejected_reasons_are_shown_in_russian_and_downloaded_in_english(client, acme_owner, worker_env):

    r = upload(client, BASE, "m.csv", "ИД;ФИО;Эл. почта\n1;Вера;не почта\n".encode("cp1251"), "members")
    result_url = start(client, r.headers["Location"], default_channel="vk")[0].headers["Location"]
    work(worker_env)
    post(client, "/lang", {"lang": "ru"})
    assert "неверный адрес почты" in client.get(result_url).text
    assert "email is not a valid address" in client.get(result_url + "/rejected.csv").data.decode("utf-8-sig")


def test_a_file_that_breaks_past_the_preview_fails_with_the_reason_translated(client, acme_owner, worker_env):
    """The upload reads the first rows only; a row further down that no CSV reader accepts (a cell over the
    csv module's field limit) fails the job on a FileError, which the result page shows in the reader's
    language, with the line, and without the exception."""
    rows = "".join(f"m{i},Member {i}\n" for i in range(30))
    content = ("id,name\n" + rows + 'm99,"' + "x" * 200_000 + '"\n').encode()
    r = upload(client, BASE, "long.csv", content, "members")
    r, _page = start(client, r.headers["Location"], default_channel="vk")
    assert r.status_code == 302
    work(worker_env)
    run = last_run()
    assert run.status == "failed" and "Error" in run.error
    assert run.failure["template"] == "The file is not valid CSV near line %(line)s."
    page = client.get(r.headers["Location"]).text
    line = run.failure["params"]["line"]
    assert f"The file is not valid CSV near line {line}." in page and "Failed at" in page
    assert "Rows already imported stay" in page
    assert "Error" not in page and "field larger" not in page and "Traceback" not in page
    post(client, "/lang", {"lang": "ru", "next": "/"})
    page = client.get(r.headers["Location"]).text
    assert f"Файл не является корректным CSV около строки {line}." in page and "Сбой на" in page
    assert "Error" not in page and "field larger" not in page
