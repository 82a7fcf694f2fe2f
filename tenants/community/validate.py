"""What an ingest path may store: an activity and the identities it names, each value checked (types, formats,
lengths, the time window), with the reason for a refusal (`ItemError`, a gettext template and its params).
Every path (the API, CSV and Telegram imports, the demo) turns its input into `ActivityIn` here."""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tenants.community.models import ACTIVITY_TYPES
from tenants.core.base import utcnow
from tenants.core.errors import DomainError

MAX_BATCH = 5000
CHANNEL_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_META_BYTES = 16_000


class ItemError(DomainError):
    """One activity (or row) is invalid. `str(exc)` is the English sentence (API clients, CSV downloads);
    `template` and `params` (strings) let a page show it in the reader's language."""

    def __init__(self, template: str, **params) -> None:
        super().__init__(template, **{k: str(v) for k, v in params.items()})


@dataclass(frozen=True)
class IdentityRef:
    channel: str
    external_id: str
    handle: str | None = None
    display_name: str | None = None
    email: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.channel, self.external_id)


@dataclass
class ActivityIn:
    member: IdentityRef
    type: str
    occurred_at: datetime
    source_id: str
    channel: str
    target: IdentityRef | None = None
    weight: float | None = None
    meta: dict = field(default_factory=dict)


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    members_created: int = 0

    def add(self, other: IngestResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.members_created += other.members_created


def _text(value, name: str, limit: int, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            raise ItemError("%(field)s is required", field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ItemError("%(field)s must be a string", field=name)
    value = str(value).strip()
    if "\x00" in value:
        raise ItemError("%(field)s contains a NUL character", field=name)
    if required and not value:
        raise ItemError("%(field)s is required", field=name)
    if len(value) > limit:
        raise ItemError("%(field)s is longer than %(limit)s characters", field=name, limit=limit)
    return value or None


def normalise_email(value) -> str | None:
    value = _text(value, "email", 254, required=False)
    if value is None:
        return None
    value = value.lower()
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
        raise ItemError("email is not a valid address")
    return value


def parse_identity(obj, name: str = "member") -> IdentityRef:
    if not isinstance(obj, dict):
        raise ItemError("%(field)s must be an object", field=name)
    values = (obj.get("channel"), obj.get("external_id"), obj.get("handle"), obj.get("display_name"),
              obj.get("email"))
    try:
        return _identity(name, *values)
    except TypeError:       # a list or an object among the values: unhashable, validated without the cache
        return _identity.__wrapped__(name, *values)


@functools.lru_cache(maxsize=65_536, typed=True)
def _identity(name: str, channel, external_id, handle, display_name, email) -> IdentityRef:
    """A pure function of the values, cached: in a 90-9-1 community most of a batch's items name the same few
    members, and validating each copy was a tenth of an API call's time."""
    channel = _text(channel, f"{name}.channel", 32).lower()
    if not CHANNEL_RE.match(channel):
        raise ItemError("%(field)s.channel must be lower-case letters, digits or _", field=name)
    return IdentityRef(channel=channel, external_id=_text(external_id, f"{name}.external_id", 200),
                       handle=_text(handle, f"{name}.handle", 200, required=False),
                       display_name=_text(display_name, f"{name}.display_name", 200, required=False),
                       email=normalise_email(email))


def parse_time(value, name: str = "occurred_at") -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        raw = _text(value, name, 64)
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ItemError("%(field)s is not an ISO 8601 date-time", field=name) from None
    if moment.tzinfo is None:
        raise ItemError("%(field)s needs a time zone (e.g. 2026-05-01T10:00:00Z)", field=name)
    moment = moment.astimezone(UTC)
    if moment > utcnow() + timedelta(days=1):
        raise ItemError("%(field)s is in the future", field=name)
    if moment.year < 2000:
        raise ItemError("%(field)s is before 2000", field=name)
    return moment


def parse_activity(obj) -> ActivityIn:
    """Validate one API item. Raises ItemError with a message for the `errors` list."""
    if not isinstance(obj, dict):
        raise ItemError("item must be an object")
    member = parse_identity(obj.get("member"))
    kind = _text(obj.get("type"), "type", 32).lower()
    if kind not in ACTIVITY_TYPES:
        raise ItemError("type must be one of: %(types)s", types=", ".join(ACTIVITY_TYPES))
    channel = _text(obj.get("channel"), "channel", 32, required=False)
    channel = (channel or member.channel).lower()
    if not CHANNEL_RE.match(channel):
        raise ItemError("channel must be lower-case letters, digits or _")
    target = parse_identity(obj["target"], "target") if obj.get("target") is not None else None
    weight = obj.get("weight")
    if weight is not None:
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1000:
            raise ItemError("weight must be a number from 0 to 1000")
        weight = float(weight)
    meta = obj.get("meta") or {}
    if not isinstance(meta, dict):
        raise ItemError("meta must be an object")
    if meta:
        encoded = json.dumps(meta, ensure_ascii=False)
        if "\\u0000" in encoded or "\x00" in encoded:
            raise ItemError("meta contains a NUL character")
        if len(encoded) > MAX_META_BYTES:
            raise ItemError("meta is larger than %(limit)s bytes", limit=MAX_META_BYTES)
    return ActivityIn(member=member, type=kind, occurred_at=parse_time(obj.get("occurred_at")),
                      source_id=_text(obj.get("source_id"), "source_id", 200), channel=channel,
                      target=target, weight=weight, meta=meta)
