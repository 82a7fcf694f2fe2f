"""What an ingest path may store: an activity and the identities it names, each value checked (types, formats,
lengths, the time window, ranges) by `community.values`, with the reason for a refusal (`ItemError`, a gettext
template and its params). Every path (the API, CSV and Telegram imports, the demo) makes its `ActivityIn` and
`IdentityRef` with `activity()` and `identity()` here (or `parse_activity()` / `parse_identity()` for JSON)."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime

from tenants.community import values
from tenants.community.models import ACTIVITY_TYPES, Activity, Identity, Member
from tenants.community.values import ItemError, limit

__all__ = ["ItemError", "IdentityRef", "ActivityIn", "IngestResult", "identity", "activity", "parse_identity",
           "parse_activity", "parse_time", "normalise_email"]

MAX_BATCH = 5000
CHANNEL_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_META_BYTES = 16_000
MAX_META_DEPTH = 10
MAX_WEIGHT = 1000


@dataclass(frozen=True, slots=True)
class IdentityRef:
    channel: str
    external_id: str
    handle: str | None = None
    display_name: str | None = None
    email: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.channel, self.external_id)


@dataclass(slots=True)
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


def normalise_email(value) -> str | None:
    value = values.text(value, "email", limit(Member.email), required=False)
    if value is None:
        return None
    value = value.lower()
    if not EMAIL_RE.match(value) or len(value) > limit(Member.email):
        raise ItemError("email is not a valid address")
    return value


def parse_identity(obj, name: str = "member") -> IdentityRef:
    if not isinstance(obj, dict):
        raise ItemError("%(field)s must be an object", field=name)
    return identity(obj.get("channel"), obj.get("external_id"), obj.get("handle"), obj.get("display_name"),
                    obj.get("email"), name=name)


def identity(channel, external_id, handle=None, display_name=None, email=None, name: str = "member") -> IdentityRef:
    """A checked identity: the only way a path makes one."""
    try:
        return _identity(name, channel, external_id, handle, display_name, email)
    except TypeError:       # a list or an object among the values: unhashable, validated without the cache
        return _identity.__wrapped__(name, channel, external_id, handle, display_name, email)


@functools.lru_cache(maxsize=65_536, typed=True)
def _identity(name: str, channel, external_id, handle, display_name, email) -> IdentityRef:
    """A pure function of the values, cached: in a 90-9-1 community most of a batch's items name the same few
    members, and validating each copy was a tenth of an API call's time."""
    channel = values.text(channel, f"{name}.channel", limit(Identity.channel)).lower()
    if not CHANNEL_RE.match(channel):
        raise ItemError("%(field)s.channel must be lower-case letters, digits or _", field=name)
    return IdentityRef(channel=channel,
                       external_id=values.text(external_id, f"{name}.external_id", limit(Identity.external_id)),
                       handle=values.text(handle, f"{name}.handle", limit(Identity.handle), required=False),
                       display_name=values.text(display_name, f"{name}.display_name", limit(Member.display_name),
                                                required=False),
                       email=normalise_email(email))


def parse_time(value, name: str = "occurred_at") -> datetime:
    """An ISO 8601 date-time with a zone (or an aware datetime), within the window `values.moment` keeps."""
    if not isinstance(value, datetime):
        raw = values.text(value, name, 64)
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ItemError("%(field)s is not an ISO 8601 date-time", field=name) from None
    return values.moment(value, name)


def activity(member: IdentityRef, kind: str, occurred_at: datetime, source_id, channel: str | None = None,
             target: IdentityRef | None = None, weight=None, meta: dict | None = None) -> ActivityIn:
    """A checked activity: the only way a path makes one. `member` and `target` come from `identity()`."""
    kind = _kind(kind)
    channel = (values.text(channel, "channel", limit(Activity.channel), required=False) or member.channel).lower()
    if not CHANNEL_RE.match(channel):
        raise ItemError("channel must be lower-case letters, digits or _")
    if weight is not None:
        weight = values.number(weight, "weight", 0, MAX_WEIGHT)
    meta = values.document(meta or {}, "meta", MAX_META_BYTES, MAX_META_DEPTH) if meta else {}
    return ActivityIn(member=member, type=kind, occurred_at=values.moment(occurred_at, "occurred_at"),
                      source_id=values.text(source_id, "source_id", limit(Activity.source_id)), channel=channel,
                      target=target, weight=weight, meta=meta)


def _kind(value) -> str:
    kind = values.text(value, "type", limit(Activity.type)).lower()
    if kind not in ACTIVITY_TYPES:
        raise ItemError("type must be one of: %(types)s", types=", ".join(ACTIVITY_TYPES))
    return kind


def parse_activity(obj) -> ActivityIn:
    """Validate one API item. Raises ItemError with a message for the `errors` list."""
    if not isinstance(obj, dict):
        raise ItemError("item must be an object")
    member = parse_identity(obj.get("member"))
    target = parse_identity(obj["target"], "target") if obj.get("target") is not None else None
    meta = obj.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise ItemError("meta must be an object")
    return activity(member, _kind(obj.get("type")), parse_time(obj.get("occurred_at")), obj.get("source_id"),
                    obj.get("channel"), target, obj.get("weight"), meta)
