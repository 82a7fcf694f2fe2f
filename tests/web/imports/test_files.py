"""Files no import can read: odd encodings, JSON nested too deeply, too many columns. Each gets a clear,
translated reason (on the upload page when its first bytes show it, on the job's page when only the whole file
does), never a 500; a page reads only the head of an upload, whatever its size."""
from __future__ import annotations

from sqlalchemy import func, select

from tenants.agency.models import Organisation
from tenants.community.imports import csvfile
from tenants.community.imports.telegram import SNIFF_BYTES
from tenants.community.models import Activity, Member, Upload
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support.http import post
from tests.support.imports import last_run, start, upload, work

BASE = "/acme/coffee/imports/"


def _nothing_stored() -> bool:
    with system_scope() as s:
        return not s.scalar(select(func.count()).select_from(Member)) and \
            not s.scalar(select(func.count()).select_from(Activity))


def _uploads() -> int:
    with system_scope() as s:
        return s.scalar(select(func.count()).select_from(Upload))


def test_files_whose_first_bytes_cannot_be_read_are_refused_on_upload(client, acme_owner):
    utf16_odd = b"\xff\xfe" + "id;name\n1;Анна\n".encode("utf-16-le") + b"\x41"
    r = upload(client, BASE, "odd.csv", utf16_odd, "members")
    assert r.status_code == 422 and "starts as UTF-16 text but is not valid UTF-16 near byte" in r.text
    r = upload(client, BASE, "bom.csv", b"\xef\xbb\xbfid;name\n1;\xff\xfe\n", "members")
    assert r.status_code == 422 and "starts as UTF-8 text but is not valid UTF-8" in r.text
    r = upload(client, BASE, "deep.json", b"[" * 20_000 + b"]" * 20_000, "telegram")
    assert r.status_code == 422 and "nested too deeply to be a Telegram export" in r.text
    r = upload(client, BASE, "latin1.json", '{"messages": ["é"]}'.encode("latin-1"), "telegram")
    assert r.status_code == 422 and "not UTF-8 text" in r.text
    post(client, "/lang", {"lang": "ru", "next": "/"})
    r = upload(client, BASE, "odd.csv", utf16_odd, "members")
    assert r.status_code == 422 and "Сохраните его заново как CSV (UTF-8)" in r.text
    assert _uploads() == 0


def test_a_csv_of_a_hundred_thousand_columns_is_refused_after_reading_its_head(client, acme_owner):
    wide = (",".join(f"c{i}" for i in range(100_000)) + "\n" + ",".join("1" * 100_000) + "\n").encode()
    assert len(wide) > csvfile.HEAD_BYTES
    r = upload(client, BASE, "wide.csv", wide, "members")
    assert r.status_code == 422 and f"more than {csvfile.MAX_COLUMNS} columns" in r.text
    assert _uploads() == 0
    # One stored before its checks were this strict: its mapping page says the same, from the head alone.
    with system_scope() as s:
        org = s.scalars(select(Organisation)).one()
    with tenant_scope(org.agency_id, org.id), job_session() as s:
        up = Upload(org_id=org.id, filename="wide.csv", kind="csv", size=len(wide), content=wide)
        s.add(up)
        s.flush()
        public_id = up.public_id
    page = client.get(f"{BASE}uploads/{public_id}?kind=members")
    assert page.status_code == 422 and f"more than {csvfile.MAX_COLUMNS} columns" in page.text


def test_a_row_wider_than_any_file_may_be_is_a_rejected_row(client, acme_owner, worker_env):
    body = "id,name\n1,Ann\n2," + ",".join(["x"] * (csvfile.MAX_COLUMNS + 1)) + "\n"
    r = upload(client, BASE, "rows.csv", body.encode(), "members")
    start(client, r.headers["Location"], default_channel="vk")
    work(worker_env)
    result = last_run().result
    assert (result["imported"], result["rejected"]) == (1, 1)
    assert f"the row has more than {csvfile.MAX_COLUMNS} cells" in client.get(f"{BASE}jobs/{last_run().public_id}").text


def test_files_broken_past_their_head_fail_their_job_with_the_reason_translated(client, acme_owner, worker_env):
    rows = "".join(f"m{i};Участник {i}\n" for i in range(20_000))
    utf16 = b"\xff\xfe" + ("id;name\n" + rows).encode("utf-16-le") + b"\x41"     # odd length, at the very end
    assert len(utf16) > csvfile.HEAD_BYTES
    r = upload(client, BASE, "big.csv", utf16, "members")
    assert r.status_code == 302
    csv_run, _ = start(client, r.headers["Location"], default_channel="vk")
    work(worker_env)
    run = last_run()
    assert run.status == "failed" and run.failure["template"].startswith("The file starts as %(encoding)s")
    deep = b'{"name": "x", "messages": ' + b"[" * SNIFF_BYTES + b"]" * SNIFF_BYTES + b"}"
    r = upload(client, BASE, "result.json", deep, "telegram")
    assert r.status_code == 302
    work(worker_env)
    assert last_run().status == "failed"
    assert last_run().failure["template"] == "The file is nested too deeply to be a Telegram export."
    page = client.get(r.headers["Location"]).text
    assert "The file is nested too deeply to be a Telegram export." in page and "Recursion" not in page
    post(client, "/lang", {"lang": "ru", "next": "/"})
    assert "Вложенность данных в файле слишком глубокая" in client.get(r.headers["Location"]).text
    assert "Сохраните его заново как CSV (UTF-8)" in client.get(csv_run.headers["Location"]).text
    assert _nothing_stored()
