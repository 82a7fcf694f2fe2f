"""CSV files as Russian and other spreadsheets write them: decoding, dialect, column mapping, activity rows.

Pure functions: the job (workers/jobs/imports.py) reads an Upload, turns rows into activities here (members in
community.imports.member_rows), every value checked by community.validate, and writes them through
community.ingest / member_rows. A page reads only the head of an upload (`read(..., head=True)`)."""
from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from tenants.community.models import ACTIVITY_TYPES
from tenants.community.validate import ActivityIn, IdentityRef, ItemError, activity, identity, parse_time
from tenants.community.values import printable
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


UTF8_BOM = b"\xef\xbb\xbf"
BOMS = ((UTF8_BOM, "utf-8-sig", "UTF-8"), (b"\xff\xfe", "utf-16", "UTF-16"), (b"\xfe\xff", "utf-16", "UTF-16"))
HEAD_BYTES = 256 * 1024     # what a page reads of an upload: the header and the first rows
MAX_COLUMNS = 500           # the mapping page shows a choice per column; wider files are refused
SNIFF_CHARS = 20_000


def decode(raw: bytes, final: bool = True) -> tuple[str, str]:
    """Text and encoding: UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1251 (Russian Excel).
    final=False: `raw` is the head of a longer file, so a character may be cut at its end."""
    if raw.startswith(b"PK\x03\x04"):
        raise FileError("This is an Excel workbook. Save it as CSV (File → Save as → CSV) and upload that.")
    for bom, encoding, name in BOMS:
        if raw.startswith(bom):
            try:
                return codecs.getincrementaldecoder(encoding)().decode(raw, final=final), encoding
            except UnicodeDecodeError as exc:
                raise FileError("The file starts as %(encoding)s text but is not valid %(encoding)s near byte "
                                "%(byte)s. Save it again as CSV (UTF-8).", encoding=name,
                                byte=exc.start) from None
    if raw[:4096].count(b"\x00") > len(raw[:4096]) // 10:      # UTF-16 without a BOM, or not text at all
        raise FileError("This does not look like a CSV file.")
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(raw, final=final), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1251", errors="replace"), "cp1251"


def read(raw: bytes, limit: int | None = None, head: bool = False) -> Sheet:
    """The file's rows (the first `limit` of them). head: read only its first HEAD_BYTES, as a page may (a
    request's work stays bounded whatever the file); the import job reads it all."""
    if head and len(raw) > HEAD_BYTES:
        text, encoding = decode(raw[:HEAD_BYTES], final=False)
    else:
        text, encoding = decode(raw)
    sample = text[:SNIFF_CHARS]
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
    except csv.Error as exc:
        raise FileError("The file is not valid CSV near line %(line)s.", line=reader.line_num) from exc
    if len(header) > MAX_COLUMNS:
        raise FileError("The file has more than %(limit)s columns. Remove the columns you do not import.",
                        limit=MAX_COLUMNS)
    header = [printable(h.strip(), 200) for h in header]
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
            if norm in _OPTIONS[field_name] and field_name not in taken:
                found = field_name
                break
        if not found and norm in attribute_keys and f"attr:{attribute_keys[norm]}" not in taken:
            found = f"attr:{attribute_keys[norm]}"
        if found:
            taken.add(found)
        mapping.append(found)
    return mapping


_OPTIONS = {f: {s.replace("_", " ") for s in SYNONYMS.get(f, ())} | {f.replace("_", " ")}
            for f in {*MEMBER_FIELDS, *ACTIVITY_FIELDS}}


def cells_of(cells: list[str], mapping: list[str]) -> dict[str, str]:
    """The mapped, non-empty cells of a row by field (a row wider than any file may be is refused)."""
    if len(cells) > MAX_COLUMNS:
        raise ItemError("the row has more than %(limit)s cells", limit=MAX_COLUMNS)
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


def shown(value: str) -> str:
    """A cell as a reason quotes it: its start, escaped."""
    return repr(value[:40] + ("…" if len(value) > 40 else ""))


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
                        value=shown(raw)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return parse_time(moment, "date")


def row_identity(values: dict[str, str], default_channel: str) -> IdentityRef:
    """The member a row names: by channel and external id, or by email alone."""
    channel = (values.get("channel") or default_channel or "").strip().lower()
    external_id = values.get("external_id")
    email = values.get("email")
    if not external_id and email:          # an email alone identifies a member on the email channel
        channel, external_id = "email", email.lower()
    if not external_id:
        raise ItemError("no id: map a column to External id, or give an email")
    return identity(channel, external_id, values.get("handle"), values.get("display_name"), email)


def activity_row(cells: list[str], mapping: list[str], default_channel: str, tz: str) -> ActivityIn:
    values = cells_of(cells, mapping)
    member = row_identity(values, default_channel)
    raw_type = (values.get("type") or "").strip().lower()
    kind = TYPE_SYNONYMS.get(raw_type, raw_type)
    if kind not in ACTIVITY_TYPES:
        raise ItemError("type %(value)s is not one of: %(types)s", value=shown(values.get("type") or ""),
                        types=", ".join(ACTIVITY_TYPES))
    if not values.get("occurred_at"):
        raise ItemError("date is empty")
    when = parse_when(values["occurred_at"], tz)
    target = None
    if values.get("target_external_id"):
        target = identity(values.get("target_channel") or member.channel, values["target_external_id"],
                          name="target")
    source = values.get("source_id")
    if not source:
        # Files without ids still import once: the id is a digest of what the row says.
        digest = hashlib.sha256("|".join([member.channel, member.external_id, kind, when.isoformat(),
                                          target.external_id if target else ""]).encode()).hexdigest()[:24]
        source = f"csv:{digest}"
    return activity(member, kind, when, source, member.channel, target, values.get("weight"))


def rows_to_csv(header: list[str], rows: list[tuple[int, str, str]]) -> bytes:
    """Rejected rows for download: line, reason, then the original cells."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["line", "reason", *header])
    for line, reason, raw in rows:
        cells = next(csv.reader(io.StringIO(raw))) if raw else []
        w.writerow([line, safe_cell(reason), *[safe_cell(c) for c in cells]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
