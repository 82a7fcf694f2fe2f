"""Telegram Desktop "Export chat history" (JSON): one chat's result.json, or a whole-account export with
chats.list. Yields activities for community.ingest; every id is derived from the chat and message ids, so
importing the same export again, or a later overlapping one, adds only what is new."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from tenants.community.imports.csvfile import FileError
from tenants.community.validate import ActivityIn, IdentityRef

SKIPPED_CHAT_TYPES = ("saved_messages",)


@dataclass
class Problem:
    where: str
    reason: str


def load(raw: bytes) -> list[dict]:
    """The chats in an export file."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FileError("This is not a Telegram JSON export (result.json).") from None
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        return [data]
    chats = (data.get("chats") or {}).get("list") if isinstance(data, dict) else None
    if isinstance(chats, list):
        return [c for c in chats if isinstance(c, dict) and c.get("type") not in SKIPPED_CHAT_TYPES]
    raise FileError("This is not a Telegram JSON export (result.json).")


def count_messages(chats: list[dict]) -> int:
    return sum(len(c.get("messages") or []) for c in chats)


def _identity(from_id, name) -> IdentityRef | None:
    if not from_id:
        return None
    ext = str(from_id)
    if ext.startswith("user") and ext[4:].isdigit():
        ext = ext[4:]                       # Telegram's numeric user id, as bots and the API see it
    return IdentityRef("telegram", ext[:200], display_name=(str(name)[:200] if name else None))


def _when(message: dict) -> datetime:
    if message.get("date_unixtime"):
        return datetime.fromtimestamp(int(message["date_unixtime"]), UTC)
    return datetime.fromisoformat(message["date"]).replace(tzinfo=UTC)


def _text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in value)
    return ""


def activities(chat: dict, keep_text: bool) -> Iterator[ActivityIn | Problem]:
    chat_id = chat.get("id", "chat")
    chat_name = chat.get("name") or ""
    authors = {m.get("id"): _identity(m.get("from_id"), m.get("from")) for m in chat.get("messages") or []
               if m.get("type") == "message"}
    for m in chat.get("messages") or []:
        msg_id = m.get("id")
        where = f"chat {chat_name or chat_id}, message {msg_id}"
        try:
            when = _when(m)
        except (KeyError, ValueError, TypeError, OverflowError):
            yield Problem(where, "no readable date")
            continue
        meta = {"chat_id": chat_id, "chat": chat_name, "message_id": msg_id}
        if m.get("type") == "message":
            author = authors.get(msg_id)
            if author is None:
                yield Problem(where, "message without an author (from_id)")
                continue
            target = authors.get(m.get("reply_to_message_id"))
            if keep_text and _text(m.get("text")):
                meta["text"] = _text(m.get("text"))[:4000]
            yield ActivityIn(author, "reply" if target else "message", when, f"tg:{chat_id}:{msg_id}", "telegram",
                             target=target, meta=meta)
            for reaction in m.get("reactions") or []:
                emoji = reaction.get("emoji") or reaction.get("document_id") or reaction.get("type") or "?"
                for recent in reaction.get("recent") or []:
                    reactor = _identity(recent.get("from_id"), recent.get("from"))
                    if reactor is None:
                        continue
                    yield ActivityIn(reactor, "reaction", when,
                                     f"tg:{chat_id}:{msg_id}:r:{reactor.external_id}:{emoji}", "telegram",
                                     target=author, meta={**meta, "emoji": str(emoji)})
        elif m.get("type") == "service":
            actor = _identity(m.get("actor_id"), m.get("actor"))
            kind = _service_kind(m)
            if actor is not None and kind:
                yield ActivityIn(actor, kind, when, f"tg:{chat_id}:{msg_id}", "telegram",
                                 meta={**meta, "action": m.get("action")})


def _service_kind(m: dict) -> str | None:
    action = m.get("action")
    members = m.get("members") or []
    if action in ("join_group_by_link", "join_group_by_request"):
        return "join"
    if action == "invite_members":
        # Joining a public group shows as the user "inviting" themselves; inviting others is a referral.
        return "join" if members == [m.get("actor")] else "referral"
    if action == "remove_members" and members == [m.get("actor")]:
        return "leave"
    return None
