"""`communa report generate` and `communa report share`, as an operator runs them."""
from __future__ import annotations

import subprocess
import sys

from tests.support import reports as R


def _cli(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "web.cli", "report", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_generate_prints_the_address_and_the_id_last_and_share_prints_the_link(client, worker_env):
    w = R.world()
    r = _cli(worker_env, "generate", "acme", "coffee", "--month", "2026-05")
    assert r.returncode == 0, r.stderr
    *_, address, rid = r.stdout.split()
    assert address == f"http://localhost/acme/coffee/reports/{rid}"
    draft = R.get(w.a, w.o, rid)
    assert (draft.status, draft.version, draft.period_start.isoformat()) == ("draft", 1, "2026-05-01")
    refused = _cli(worker_env, "share", "acme", "coffee", rid)
    assert refused.returncode != 0 and "published" in refused.stderr                # a draft is not shared
    r = _cli(worker_env, "generate", "acme", "coffee", "--month", "2026-05", "--publish")
    assert r.returncode == 0, r.stderr
    published = r.stdout.split()[-1]
    assert R.get(w.a, w.o, published).status == "published" and R.get(w.a, w.o, published).version == 2
    r = _cli(worker_env, "share", "acme", "coffee", published, "--expires-days", "3")
    assert r.returncode == 0, r.stderr
    link = r.stdout.split()[-1]
    assert link.startswith("http://localhost/r/")
    page = client.get(link.removeprefix("http://localhost"))
    assert page.status_code == 200 and "Version 2" in page.get_data(as_text=True)


def test_bad_arguments_fail_clearly(worker_env):
    w = R.world()
    rid = R.report(w.a, w.o, status="published")
    for args, says in ((("generate", "acme", "coffee", "--month", "2026-13"), "YYYY-MM"),
                       (("generate", "nope", "coffee", "--month", "2026-05"), "no agency"),
                       (("generate", "acme", "nope", "--month", "2026-05"), "no organisation"),
                       (("share", "acme", "tea", rid), "no report"),
                       (("share", "acme", "coffee", "no-such-report"), "no report"),
                       (("share", "acme", "coffee", rid, "--expires-days", "0"), "expires-days")):
        r = _cli(worker_env, *args)
        assert r.returncode != 0 and says in r.stderr, (args, r.stderr)
