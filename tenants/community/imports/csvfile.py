"""CSV files as Russian and other spreadsheets write them: decoding, dialect, column mapping, row parsing.

Pure functions: the job (workers/jobs/imports.py) reads an Upload, turns rows into members or activities
here, and writes them through community.ingest / community.imports.member_rows."""
from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from tenants.community.models import ACTIVITY_TYPES
from tenants.community.validate import ActivityIn, IdentityRef, ItemError, normalise_email, parse_identity, parse_time
from tenants.core.errors import DomainError
from tenants.core.spreadsheet import safe_cell

KINDS = ("members", "activities")
MEMBER_FIELDS = ("channel", "external_id", "handle", "display_name", "email", "phone", "city", "tags", "followers")
ACTIVITY_FIELDS = ("channel", "external_id", "handle", "display_name", "email", "type", "occurred_at", "source_id",
                   "target_channel", "target_external_id", "weight")
TIMEZONES = ("UTC", "Europe/Moscow", "Europe/Kaliningrad", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Novosibirsk",
             "Asia/Vladivostok", "Europe/Minsk", "Asia/Almaty", "Europe/London", "Europe/Berlin", "America/New_York")

SYNONYMS = {
    "external_id": ("id", "external_id", "external id", "user_id", "user id", "userid", "telegram_id", "vk_id", "ид",
                    "идентификатор", "id пользователя", "member", "member id", "member_id", "id участника"),
    "channel": ("channel", "source", "platform", "канал", "источник", "площадка"),
    "display_name": ("name", "full name", "full_name", "display_name", "display name", "имя", "фио",
                     "имя и фамилия", "участник"),
    "handle": ("handle", "username", "user name", "login", "nick", "nickname", "ник", "логин", "никнейм"),
    "email": ("email", "e-mail", "mail", "почта", "эл. почта", "электронная почта", "email адрес"),
    "phone": ("phone", "tel", "telephone", "mobile", "телефон", "тел", "мобильный"),
    "city": ("city", "town", "город"),
    "tags": ("tags", "tag", "labels", "теги", "метки", "тег"),
    "followers": ("followers", "subscribers", "reach", "подписчики", "охват"),
    "type": ("type", "activity", "action", "activity type", "тип", "действие", "тип активности"),
    "occurred_at": ("date", "time", "datetime", "occurred_at", "timestamp", "when", "дата", "время", "дата и время"),
    "source_id": ("source_id", "activity_id", "event_id", "message_id", "id активности"),
    "target_external_id": ("target", "target_id", "target_external_id", "reply_to", "кому", "ответ на"),
    "target_channel": ("target_channel",),
    "weight": ("weight", "вес"),
}
TYPE_SYNONYMS = {"сообщение": "message", "ответ": "reply", "реакция": "reaction", "пост": "post",
                 "репост": "share", "покупка": "purchase", "отзыв": "review", "рекомендация": "referral",
                 "регистрация": "event_registration",
                 "посещение": "event_attendance", "опрос": "survey_answer", "контент": "content_created",
                 "вступление": "join", "выход": "leave", "like": "reaction", "comment": "reply", "repost": "share"}


class FileError(DomainError):
    """The file as a whole cannot be read (a gettext template and its params)."""


@dataclass
class Sheet:
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells)


def decode(raw: bytes) -> tuple[str, str]:
    """Text and encoding: UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1251 (Russian Excel)."""
    head = raw[:4096]
    if raw.startswith(b"PK\x03\x04"):
        raise FileError("This is an Excel workbook. Save it as CSV (File → Save as → CSV) and upload that.")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    if b"\x00" in head:
        raise FileError("This does not look like a CSV file.")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1251", errors="replace"), "cp1251"


def read(raw: bytes, limit: int | None = None) -> Sheet:
    text, encoding = decode(raw)
    sample = text[:20000]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        delimiter = max(";,\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise FileError("The file is empty.") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise FileError("The first line should name the columns.")
    rows = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            rows.append((reader.line_num, cells))
            if limit and len(rows) >= limit:
                break
    except csv.Error as exc:
        raise FileError("The file is not valid CSV near line %(line)s.", line=reader.line_num) from exc
    return Sheet(encoding, delimiter, header, rows)


def guess_mapping(header: list[str], kind: str, attribute_keys: dict[str, str]) -> list[str]:
    """For each column, the field it most likely holds ('' = ignore). attribute_keys: lower label → key."""
    fields = MEMBER_FIELDS if kind == "members" else ACTIVITY_FIELDS
    taken: set[str] = set()
    mapping = []
    for name in header:
        norm = re.sub(r"\s+", " ", name.strip().lower().replace("_", " ")).strip()
        found = ""
        for field_name in fields:
            options = {s.replace("_", " ") for s in SYNONYMS.get(field_name, ())} | {field_name.replace("_", " ")}
            if norm in options and field_name not in taken:
                found = field_name
                break
        if not found and norm in attribute_keys and f"attr:{attribute_keys[norm]}" not in taken:
            found = f"attr:{attribute_keys[norm]}"
        if found:
            taken.add(found)
        mapping.append(found)
    return mapping


def _cells(cells: list[str], mapping: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for index, target in enumerate(mapping):
        if target and index < len(cells):
            value = cells[index].strip()
            if value:
                values[target] = value
    return values


@functools.lru_cache(maxsize=32)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def parse_when(raw: str, tz: str) -> datetime:
    """ISO 8601 (zone optional) or Russian dd.mm.yyyy [hh:mm[:ss]]; times without a zone are in `tz`."""
    raw = raw.strip()
    zone = _zone(tz)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))       # the common case first: it is fast
    except ValueError:
        for fmt in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y"):
            try:
                return parse_time(datetime.strptime(raw, fmt).replace(tzinfo=zone), "date")
            except ValueError:
                continue
        raise ItemError("date %(value)s is not a date I can read (use 2026-05-01 10:00 or 01.05.2026 10:00)",
                        value=repr(raw)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return parse_time(moment, "date")


def _identity(values: dict[str, str], default_channel: str) -> IdentityRef:
    channel = (values.get("channel") or default_channel or "").strip().lower()
    external_id = values.get("external_id")
    email = values.get("email")
    if not external_id and email:          # an email alone identifies a member on the email channel
        channel, external_id = "email", email.lower()
    if not external_id:
        raise ItemError("no id: map a column to External id, or give an email")
    return parse_identity({"channel": channel, "external_id": external_id, "handle": values.get("handle"),
                           "display_name": values.get("display_name"), "email": email})


@dataclass
class MemberRow:
    identity: IdentityRef
    phone: str | None
    city: str | None
    tags: list[str]
    followers: int | None
    attributes: dict[str, str]


def member_row(cells: list[str], mapping: list[str], default_channel: str) -> MemberRow:
    values = _cells(cells, mapping)
    identity = _identity(values, default_channel)
    followers = None
    if values.get("followers"):
        try:
            followers = int(re.sub(r"[\s\u00a0]", "", values["followers"]))
        except ValueError:
            raise ItemError("followers %(value)s is not a whole number", value=repr(values["followers"])) from None
    if values.get("email"):
        normalise_email(values["email"])
    tags = [t.strip().lower() for t in re.split(r"[,;|]", values.get("tags", "")) if t.strip()]
    attrs = {k[5:]: v for k, v in values.items() if k.startswith("attr:")}
    return MemberRow(identity, values.get("phone"), values.get("city"), tags, followers, attrs)


def activity_row(cells: list[str], mapping: list[str], default_channel: str, tz: str) -> ActivityIn:
    values = _cells(cells, mapping)
    identity = _identity(values, default_channel)
    raw_type = (values.get("type") or "").strip().lower()
    kind = TYPE_SYNONYMS.get(raw_type, raw_type)
    if kind not in ACTIVITY_TYPES:
        raise ItemError("type %(value)s is not one of: %(types)s", value=repr(values.get("type")),
                        types=", ".join(ACTIVITY_TYPES))
    if not values.get("occurred_at"):
        raise ItemError("date is empty")
    when = parse_when(values["occurred_at"], tz)
    target = None
    if values.get("target_external_id"):
        target = parse_identity({"channel": values.get("target_channel") or identity.channel,
                                 "external_id": values["target_external_id"]}, "target")
    weight = None
    if values.get("weight"):
        try:
            weight = float(values["weight"].replace(",", "."))
        except ValueError:
            raise ItemError("weight %(value)s is not a number", value=repr(values["weight"])) from None
    source = values.get("source_id")
    if not source:
        # Files without ids still import once: the id is a digest of what the row says.
        digest = hashlib.sha256("|".join([identity.channel, identity.external_id, kind, when.isoformat(),
                                          target.external_id if target else ""]).encode()).hexdigest()[:24]
        source = f"csv:{digest}"
    return ActivityIn(member=identity, type=kind, occurred_at=when, source_id=source[:200], channel=identity.channel,
                      target=target, weight=weight, meta={})


def rows_to_csv(header: list[str], rows: list[tuple[int, str, str]]) -> bytes:
    """Rejected rows for download: line, reason, then the original cells."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["line", "reason", *header])
    for line, reason, raw in rows:
        cells = next(csv.reader(io.StringIO(raw))) if raw else []
        w.writerow([line, safe_cell(reason), *[safe_cell(c) for c in cells]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
