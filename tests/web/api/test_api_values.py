"""API items whose values no column or scoring can take: refused one by one in JSON, with nothing stored for
them (no member of a refused item), the rest of the batch stored, and the organisation's scoring unharmed."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tenants import scoring
from tenants.community.ingest import forget, resolve, store
from tenants.community.models import Activity, Identity, Member, ScorePending
from tenants.core.context import tenant_scope
from tenants.core.db import job_session, system_scope
from tests.support import factories
from tests.support.api import auth, make_key
from tests.support.scoring import act

WHEN = datetime(2026, 5, 1, 10, tzinfo=UTC)


@pytest.fixture
def env():
    a = factories.agency("Acme", "o@acme.test")
    o = factories.org(a, "One")
    return {"a": a, "o": o, "key": make_key(a, o)}


def _item(ext: str, source: str, **extra) -> str:
    """One item as JSON text, with `extra` spliced in verbatim (NaN, Infinity and lone surrogates are not
    something json.dumps writes)."""
    body = json.dumps({"member": {"channel": "telegram", "external_id": ext, "display_name": ext.title()},
                       "type": "message", "occurred_at": "2026-05-01T10:00:00Z", "source_id": source})
    return body[:-1] + "".join(f', "{k}": {v}' for k, v in extra.items()) + "}"


def _post(client, env, items: list[str]):
    return client.post("/api/v1/activities", data='{"activities": [' + ", ".join(items) + "]}",
                       content_type="application/json", headers=auth(env["key"]))


def _externals() -> set[str]:
    with system_scope() as s:
        return set(s.scalars(select(Identity.external_id)))


BAD = {
    "nan_meta": ({"meta": '{"x": NaN}'}, "meta contains a number that is not finite (NaN or Infinity)"),
    "inf_meta": ({"meta": '{"deep": [1, {"y": -Infinity}]}'}, "meta contains a number that is not finite"),
    "nan_weight": ({"weight": "NaN"}, "weight must be a number from 0 to 1000"),
    "huge_weight": ({"weight": "1e308"}, "weight must be a number from 0 to 1000"),
    "negative_weight": ({"weight": "-1000"}, "weight must be a number from 0 to 1000"),
    "surrogate_meta_key": ({"meta": '{"\\ud800": 1}'}, "meta contains an invalid character (a lone surrogate)"),
    "surrogate_channel": ({"channel": '"tele\\udfff"'}, "channel contains an invalid character"),
    "nul_meta": ({"meta": '{"x": "a\\u0000b"}'}, "meta contains a NUL character"),
    "future": ({"occurred_at": '"9999-12-31T00:00:00Z"'}, "occurred_at is in the future"),
    "ancient": ({"occurred_at": '"0001-01-01T00:00:00+05:00"'}, "occurred_at is before 2000"),
    "deep_meta": ({"meta": '{"a": ' + "[" * 20 + "]" * 20 + "}"}, "meta is nested deeper than 10 levels"),
}


def test_each_bad_value_is_refused_alone_and_leaves_no_member(client, env):
    items = [_item("good1", "g1")] + [_item(name, name, **extra) for name, (extra, _why) in BAD.items()]
    items.append(_item("lone", "surrogate-id").replace('"lone"', '"bad\\ud800"', 1))
    items.append(_item("good2", "g2"))
    r = _post(client, env, items)
    assert r.status_code == 200 and r.is_json
    errors = {e["index"]: e["error"] for e in r.json["errors"]}
    for index, (_name, (_extra, why)) in enumerate(BAD.items(), start=1):
        assert errors[index].startswith(why), (index, errors[index])
    assert errors[len(BAD) + 1] == "member.external_id contains an invalid character (a lone surrogate)"
    assert (r.json["accepted"], len(errors)) == (2, len(BAD) + 1)
    assert _externals() == {"good1", "good2"}          # no member for a refused item
    a, o = env["a"], env["o"]
    factories.settle(a, o)
    with tenant_scope(a.id, o.id), job_session() as s:
        scoring.full(s, o.id)
        assert s.scalar(select(func.count()).select_from(ScorePending)) == 0
        assert all(m.score is not None and m.score >= 0 for m in s.scalars(select(Member)))


def test_a_batch_of_only_bad_items_answers_422_and_creates_nobody(client, env):
    r = _post(client, env, [_item("x", "x", meta='{"x": Infinity}'), _item("y", "y", weight="1e308")])
    assert r.status_code == 422 and r.json["accepted"] == 0 and len(r.json["errors"]) == 2
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 0


def test_a_body_nested_too_deeply_answers_400_in_json(client, env):
    for body in ("[" * 100_000 + "]" * 100_000, '{"activities": ' + "[" * 5000 + "]" * 5000 + "}"):
        r = client.post("/api/v1/activities", data=body, content_type="application/json", headers=auth(env["key"]))
        assert r.status_code == 400 and r.is_json and r.json["error"]
    r = client.post("/api/v1/activities", data=b"\xff\xfe{", content_type="application/json",
                    headers=auth(env["key"]))
    assert r.status_code == 400 and r.is_json


def test_a_failed_batch_takes_back_the_members_it_created(env):
    """What the API does when storing a batch fails after its new members were committed: forget removes
    them, except one that an activity (a concurrent batch's) names meanwhile."""
    a, o = env["a"], env["o"]
    items = [act("ann", "message", WHEN, "f1"), act("bob", "message", WHEN, "f2")]
    with tenant_scope(a.id, o.id), job_session() as s:
        resolved = resolve(s, o.id, items, serialise=True)
        s.commit()
        store(s, o.id, [act("bob", "reply", WHEN, "other-batch")], resolved)     # bob is in use now
        s.commit()
        assert forget(s, o.id, resolved.created) == 1
    assert _externals() == {"bob"}
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Activity)) == 1
        assert s.scalar(select(func.count()).select_from(ScorePending).where(
            ScorePending.member_id.not_in(select(Member.id)))) == 0


def test_a_duplicate_naming_a_new_person_creates_nobody(client, env):
    assert _post(client, env, [_item("ann", "s1")]).json["accepted"] == 1
    again = _post(client, env, [_item("bob", "s1")])          # the same source_id, now naming someone new
    assert (again.status_code, again.json["accepted"], again.json["duplicates"]) == (200, 0, 1)
    assert _externals() == {"ann"}
    with system_scope() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 1
    mixed = _post(client, env, [_item("cid", "s1"), _item("cid", "s2")])   # kept: a stored activity names cid
    assert (mixed.json["accepted"], mixed.json["duplicates"]) == (1, 1)
    assert _externals() == {"ann", "cid"}
