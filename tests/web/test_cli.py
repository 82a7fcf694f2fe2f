"""The `communa` command, as an operator runs it."""
from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tenants.accounts.models import Agency, AgencyRole, User
from tenants.agency.models import Organisation
from tenants.community.models import Activity, Member, Upload
from tenants.core.db import system_scope


def _cli(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "web.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_create_agency_and_org_print_slugs(worker_env):
    r = _cli(worker_env, "create-agency", "Лунная Студия", "--owner-email", "o@moon.test",
             "--owner-password", "moon-password-1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "lunnaia-studiia"
    r = _cli(worker_env, "create-org", "lunnaia-studiia", "Coffee & Co")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "coffee-co"
    assert _cli(worker_env, "create-org", "no-such-agency", "X").returncode != 0


def test_seed_demo_is_idempotent_and_prints_logins(worker_env):
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    first = _cli(worker_env, "seed-demo", "--members", "150")
    assert first.returncode == 0, first.stderr
    for role in ("owner", "admin", "manager", "client"):
        assert f"{role}@demo.communa.test" in first.stdout
    assert "communa-demo" in first.stdout
    assert _cli(worker_env, "seed-demo", "--members", "150").returncode == 0
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Agency)) == 1
        assert s.scalar(select(func.count()).select_from(Organisation)) == 3
        assert s.scalar(select(func.count()).select_from(User)) == 4
        assert s.scalar(select(func.count()).select_from(AgencyRole)) == 4
        members = s.scalar(select(func.count()).select_from(Member))
        activities = s.scalar(select(func.count()).select_from(Activity))
        staff = s.scalar(select(func.count()).select_from(Member).where(Member.is_staff.is_(True)))
        top = list(s.scalars(select(Member.activity_count).order_by(Member.activity_count.desc())))
    assert members == 3 * (150 + 3 + 12) and staff == 6
    # 90-9-1: the busiest 10% of members (the 1% and the 9%) write more than the other 90% together.
    assert sum(top[: len(top) // 10]) > sum(top[len(top) // 10:])
    assert _cli(worker_env, "seed-demo", "--members", "150").returncode == 0
    with system_scope() as s:
        again = s.scalar(select(func.count()).select_from(Activity))
    # The demo loads what has happened by the start of the hour: within one hour, a run adds nothing.
    assert again == activities or datetime.now(UTC) >= hour + timedelta(hours=1)


def test_import_commands_print_the_same_counts_as_the_result_page(tmp_path, worker_env):
    import json
    assert _cli(worker_env, "create-agency", "Acme", "--owner-email", "o@acme.test",
                "--owner-password", "acme-password-1").returncode == 0
    assert _cli(worker_env, "create-org", "acme", "Coffee").returncode == 0
    members = tmp_path / "m.csv"
    members.write_bytes("id;name;email\n1;Anna;a@x.test\n2;Boris;bad\n".encode("cp1251"))
    r = _cli(worker_env, "import", "csv", "acme", "coffee", str(members), "--kind", "members", "--channel", "vk")
    assert r.returncode == 0, r.stderr
    assert "imported: 1" in r.stdout and "rejected: 1" in r.stdout
    acts = tmp_path / "a.csv"
    acts.write_text("who,what,when\n1,message,2026-05-01T10:00:00Z\n1,post,2026-05-02T10:00:00Z\n")
    mapping = json.dumps({"who": "external_id", "what": "type", "when": "occurred_at"})
    r = _cli(worker_env, "import", "csv", "acme", "coffee", str(acts), "--kind", "activities", "--channel", "vk",
             "--mapping", mapping)
    assert "imported: 2" in r.stdout, r.stderr
    again = _cli(worker_env, "import", "csv", "acme", "coffee", str(acts), "--kind", "activities", "--channel", "vk",
                 "--mapping", mapping)
    assert "imported: 0" in again.stdout and "duplicates: 2" in again.stdout
    tg = tmp_path / "result.json"
    tg.write_text(json.dumps({"id": 5, "name": "c", "type": "public_supergroup", "messages": [
        {"id": 1, "type": "message", "date": "2026-05-01T10:00:00", "date_unixtime": "1777600000",
         "from": "Ira", "from_id": "user9", "text": "hi"}]}))
    r = _cli(worker_env, "import", "telegram", "acme", "coffee", str(tg))
    assert r.returncode == 0 and "imported: 1" in r.stdout, r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert _cli(worker_env, "import", "telegram", "acme", "coffee", str(bad)).returncode != 0
    # The web page's upload checks: the same service refuses what the page refuses, with the same words.
    renamed = tmp_path / "result.txt"
    renamed.write_bytes(tg.read_bytes())
    r = _cli(worker_env, "import", "telegram", "acme", "coffee", str(renamed))
    assert r.returncode != 0 and "This is not a Telegram JSON export (result.json)." in r.stderr
    with system_scope() as s:
        uploads = list(s.scalars(select(Upload.filename).order_by(Upload.id)))
    assert uploads == ["m.csv", "a.csv", "a.csv", "result.json"]          # each import's file, stored once
