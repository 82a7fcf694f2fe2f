"""Property tests of every ingest parser: whatever it is given, it yields values its columns store (within the
documented ranges) or refuses with an ItemError (a FileError for a whole file), never another exception."""
from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tenants.community.imports import csvfile, member_rows, telegram
from tenants.community.imports.csvfile import FileError
from tenants.community.models import ACTIVITY_TYPES, Activity, AttributeDef, Identity, Member, MemberTag
from tenants.community.profile import TAG_RE
from tenants.community.validate import (
    CHANNEL_RE,
    EMAIL_RE,
    MAX_META_BYTES,
    ActivityIn,
    IdentityRef,
    ItemError,
    parse_activity,
)
from tenants.core.base import utcnow

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
ANY_CHAR = st.characters(exclude_categories=())            # NUL and lone surrogates included
TEXT = st.text(ANY_CHAR, max_size=30) | st.sampled_from(["", " ", "\x00", "\ud800", "x" * 300, "1e308", "NaN"])
SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
JSON = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=12)
WHEN = st.datetimes(timezones=st.just(UTC) | st.none()).map(lambda d: d.isoformat()) | \
    st.sampled_from(["9999-12-31T00:00:00Z", "0001-01-01T00:00:00+05:00", "1999-12-31T23:59:59Z", "2026-05-01"])
NUMBER = st.floats() | st.integers() | st.sampled_from([1e308, -1000, float("nan"), float("inf"), "1,5", "1e308"])


def length(column) -> int:
    return column.expression.type.length


def storable(value, most: int, required: bool = True) -> None:
    if value is None:
        assert not required
        return
    assert isinstance(value, str) and 0 < len(value) <= most
    assert not re.search("[\x00\ud800-\udfff]", value)


def check_identity(ref: IdentityRef) -> None:
    assert CHANNEL_RE.match(ref.channel) and len(ref.channel) <= length(Identity.channel)
    storable(ref.external_id, length(Identity.external_id))
    storable(ref.handle, length(Identity.handle), required=False)
    storable(ref.display_name, length(Member.display_name), required=False)
    storable(ref.email, length(Member.email), required=False)
    assert ref.email is None or EMAIL_RE.match(ref.email)


def check_activity(a: ActivityIn) -> None:
    check_identity(a.member)
    if a.target is not None:
        check_identity(a.target)
    assert a.type in ACTIVITY_TYPES and CHANNEL_RE.match(a.channel)
    assert a.occurred_at.utcoffset() == timedelta(0)
    assert datetime(2000, 1, 1, tzinfo=UTC) <= a.occurred_at <= utcnow() + timedelta(days=1)
    storable(a.source_id, length(Activity.source_id))
    assert a.weight is None or (math.isfinite(a.weight) and 0 <= a.weight <= 1000)
    encoded = json.dumps(a.meta, ensure_ascii=False, allow_nan=False)     # jsonb takes it as it is
    assert isinstance(a.meta, dict) and len(encoded.encode()) <= MAX_META_BYTES
    assert "\\u0000" not in encoded and not re.search("[\ud800-\udfff]", encoded)


# Inputs that are mostly right, with zero to two values replaced by anything at all: each test sees stored
# values as often as refusals.
NAME = st.text(st.characters(categories=["L", "N", "Zs", "P", "So"]), min_size=1, max_size=24).filter(str.strip)
GOOD_WHEN = st.datetimes(datetime(2001, 1, 1), datetime(2025, 12, 31), timezones=st.just(UTC))
JUNK = TEXT | JSON | NUMBER | WHEN


@st.composite
def broken(draw, valid: dict) -> dict:
    """`valid` with up to two of its keys (or keys of its nested objects) given junk."""
    paths = [(k,) for k in valid] + [(k, n) for k, v in valid.items() if isinstance(v, dict) for n in v]
    for path in draw(st.lists(st.sampled_from(paths), max_size=2)):
        node = valid
        for key in path[:-1]:
            node = node[key] if isinstance(node.get(key), dict) else {}
        node[path[-1]] = draw(JUNK)
    return valid


@st.composite
def items(draw):
    member = {"channel": draw(st.sampled_from(["telegram", "vk", "email"])), "external_id": draw(NAME),
              "handle": draw(st.none() | NAME), "display_name": draw(st.none() | NAME),
              "email": draw(st.none() | st.just("ann@x.test"))}
    item = {"member": member, "type": draw(st.sampled_from(ACTIVITY_TYPES)),
            "occurred_at": draw(GOOD_WHEN).isoformat(), "source_id": draw(NAME),
            "weight": draw(st.none() | st.floats(0, 1000)),
            "meta": draw(st.dictionaries(NAME, NAME | st.integers(), max_size=3) |
                         st.dictionaries(TEXT, JUNK, min_size=1, max_size=3)),
            "target": draw(st.none() | st.just({"channel": "telegram", "external_id": "u2"}))}
    return draw(broken(item) | JSON) if draw(st.booleans()) else draw(broken(item))


def _api(**extra) -> dict:
    return {"member": {"channel": "telegram", "external_id": "1"}, "type": "message",
            "occurred_at": "2026-05-01T10:00:00Z", "source_id": "s", **extra}


@SETTINGS
@given(items())
@example(_api(meta={"x": float("nan")}))
@example(_api(meta={"x": [float("-inf")]}))
@example(_api(meta={"\ud800": 1}))
@example(_api(meta={"x": "a\x00"}))
@example(_api(meta={"x": 2**60}))
@example(_api(meta={"x": [[[[[[[[[[[1]]]]]]]]]]]}))
@example(_api(weight=1e308))
@example(_api(weight=-1000))
@example(_api(occurred_at="9999-12-31T00:00:00Z"))
@example(_api(member={"channel": "telegram", "external_id": "1", "display_name": "\ud800"}))
def test_api_items_are_stored_within_their_columns_or_refused(item):
    try:
        found = parse_activity(item)
    except ItemError:
        return
    check_activity(found)


GOOD_CELLS = {"channel": st.sampled_from(["telegram", "vk"]), "external_id": NAME, "handle": NAME,
              "display_name": NAME, "email": st.just("ann@x.test"), "phone": st.just("8 999 111-22-33"),
              "city": NAME, "tags": st.just("vip, спикер"), "followers": st.integers(0, 10**6).map(str),
              "type": st.sampled_from([*ACTIVITY_TYPES, "сообщение"]), "source_id": NAME,
              "occurred_at": GOOD_WHEN.map(lambda d: d.strftime("%d.%m.%Y %H:%M")) | GOOD_WHEN.map(str),
              "target_channel": st.just("telegram"), "target_external_id": NAME,
              "weight": st.floats(0, 1000).map(lambda w: str(w).replace(".", ",")),
              "attr:size": st.integers().map(str), "attr:born": st.just("2001-02-03"), "attr:card": st.just("Gold"),
              "attr:note": NAME, "": NAME}


@st.composite
def rows(draw, fields: list[str]):
    """(cells, mapping): the fields in some order, some left out, up to two cells given junk."""
    mapping = draw(st.permutations(fields))[:draw(st.integers(1, len(fields)))]
    cells = {str(i): draw(GOOD_CELLS[f]) for i, f in enumerate(mapping)}
    cells = draw(broken(cells))
    return [str(cells[str(i)]) if isinstance(cells[str(i)], str) else json.dumps(cells[str(i)])
            for i in range(len(mapping))], mapping


WEIGHED = ["external_id", "type", "occurred_at", "weight"]


@SETTINGS
@given(rows(["external_id", "display_name", "type", "occurred_at", "source_id", "target_external_id", "weight",
             "channel", "", ""]), st.sampled_from(["", "telegram", "vk"]), st.sampled_from(csvfile.TIMEZONES))
@example((["u1", "message", "2026-05-01 10:00", "1e308"], WEIGHED), "vk", "UTC")
@example((["u1", "message", "2026-05-01 10:00", "-1000"], WEIGHED), "vk", "UTC")
@example((["u1", "message", "2026-05-01 10:00", "NaN"], WEIGHED), "vk", "UTC")
@example((["u1", "message", "9999-12-31 10:00"], ["external_id", "type", "occurred_at"]), "vk", "Europe/Moscow")
@example((["u1", "message", "2026-05-01", "s" * 201], ["external_id", "type", "occurred_at", "source_id"]), "vk", "UTC")
def test_csv_activity_rows_are_stored_within_their_columns_or_refused(row, channel, tz):
    cells, mapping = row
    try:
        found = csvfile.activity_row(cells, mapping, channel, tz)
    except ItemError:
        return
    check_activity(found)


DEFS = {d.key: d for d in (AttributeDef(key="size", label="Size", kind="number", choices=[]),
                           AttributeDef(key="born", label="Born", kind="date", choices=[]),
                           AttributeDef(key="card", label="Card", kind="choice", choices=["Gold", "Silver"]),
                           AttributeDef(key="note", label="Note", kind="text", choices=[]))}


@SETTINGS
@given(rows(["external_id", "display_name", "email", "phone", "city", "tags", "followers", "attr:size", "attr:born",
             "attr:card", "attr:note", ""]), st.sampled_from(["", "telegram"]))
@example((["1", "-5"], ["external_id", "followers"]), "vk")
@example((["1", "99999999999"], ["external_id", "followers"]), "vk")
@example((["1", "К" * 121], ["external_id", "city"]), "vk")
@example((["1", "bad!tag"], ["external_id", "tags"]), "vk")
@example((["1", "An\x00n"], ["external_id", "display_name"]), "vk")
@example((["1", "inf"], ["external_id", "attr:size"]), "vk")
@example((["1", "a\x00"], ["external_id", "attr:note"]), "vk")
def test_member_rows_are_stored_within_their_columns_or_refused(row, channel):
    cells, mapping = row
    try:
        row = member_rows.parse(cells, mapping, channel, DEFS)
    except ItemError:
        return
    check_identity(row.identity)
    assert row.phone is None or (re.fullmatch(r"\+\d{7,15}", row.phone) and len(row.phone) <= length(Member.phone))
    storable(row.city, length(Member.city), required=False)
    assert all(TAG_RE.match(t) and len(t) <= length(MemberTag.tag) for t in row.tags)
    assert row.followers is None or 0 <= row.followers <= 2**31 - 1
    assert set(row.attributes) <= set(DEFS)
    json.dumps(row.attributes, allow_nan=False)
    assert not re.search("[\x00\ud800-\udfff]", json.dumps(row.attributes, ensure_ascii=False))


@st.composite
def messages(draw):
    n = draw(st.integers(1, 5))
    when = {"date_unixtime": str(int(draw(GOOD_WHEN).timestamp()))}
    if draw(st.booleans()):
        return draw(broken({"id": n, "type": "service", **when, "actor_id": f"user{n}", "actor": draw(NAME),
                            "action": draw(st.sampled_from(["join_group_by_link", "invite_members"])),
                            "members": []}))
    recent = [{"from_id": f"user{draw(st.integers(1, 5))}", "from": draw(NAME)}]
    return draw(broken({"id": n, "type": "message", **when, "from_id": f"user{n}", "from": draw(NAME),
                        "text": draw(NAME), "reply_to_message_id": draw(st.integers(1, 5)),
                        "reactions": [{"emoji": draw(NAME), "recent": recent}]}))


@SETTINGS
@given(st.fixed_dictionaries({"messages": st.lists(messages() | JSON, max_size=6)},
                             optional={"id": st.integers() | TEXT | JSON, "name": TEXT | JSON}), st.booleans())
@example({"id": 7, "messages": [{"id": 1, "type": "message", "date_unixtime": "253402214400", "from_id": "user1"},
                                  {"id": 10**250, "type": "message", "date_unixtime": "1777600000", "from_id": "user1"},
                                  "not a message",
                                  {"id": 3, "type": "message", "date_unixtime": "1777600000", "from_id": "user1",
                                   "reactions": ["x"]},
                                  {"id": 4, "type": "message", "date_unixtime": "1777600000", "from_id": "user1",
                                   "from": "A\x00"},
                                  {"id": 5, "type": "message", "date_unixtime": "1777600000", "from_id": "user1",
                                   "text": "\ud800"}]}, True)
def test_telegram_messages_are_stored_within_their_columns_or_rejected(chat, keep_text):
    for found in telegram.activities(chat, keep_text):
        if isinstance(found, telegram.Problem):
            assert isinstance(found.error, ItemError) and not re.search("[\x00\ud800-\udfff]", found.where)
        else:
            check_activity(found)


BYTES = st.binary(max_size=300) | st.sampled_from([
    b"\xff\xfe" + "id;name\n1;x\n".encode("utf-16-le") + b"a",      # UTF-16 with an odd length
    b"\xef\xbb\xbfid;name\n1;\xff\xfe\n", b"id;name\n1;\xc3\x28\n", b"\xfe\xff\x00i", b"PK\x03\x04",
    "\ufeffid;имя\n1;Анна\n".encode("utf-16"), b"a," * 600 + b"\n"])


@SETTINGS
@given(BYTES, st.booleans())
def test_csv_files_are_read_or_refused_with_a_reason(raw, head):
    try:
        sheet = csvfile.read(raw, head=head)
    except FileError:
        return
    assert len(sheet.header) <= csvfile.MAX_COLUMNS
    assert not any(re.search("[\x00\ud800-\udfff]", h) for h in sheet.header)


@SETTINGS
@given(BYTES | JSON.map(lambda v: json.dumps(v).encode()) | st.integers(1, 5000).map(lambda n: b"[" * n + b"]" * n))
def test_telegram_files_are_read_or_refused_with_a_reason(raw):
    try:
        chats = telegram.load(raw)
    except FileError:
        return
    assert all(isinstance(c, dict) and isinstance(c.get("messages") or [], list) for c in chats)
