"""Telegram Desktop "Export chat history" (JSON): one chat's result.json, or a whole-account export with
chats.list. Yields activities for community.ingest; every id is derived from the chat and message ids, so
importing the same export again, or a later overlapping one, adds only what is new. Each message (with its
reactions) is made through community.validate; one that is not a readable message is a `Problem` with the
reason, and the rest of the export imports."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from tenants.community import values
from tenants.community.imports.csvfile import FileError
from tenants.community.validate import ActivityIn, IdentityRef, ItemError, activity, identity

SKIPPED_CHAT_TYPES = ("saved_messages",)
SNIFF_BYTES = 64 * 1024         # what the upload request reads of a file; the job reads the rest
MAX_TEXT = 4000                 # the part of a message's text kept (when the organisation keeps texts)
MAX_ID = 2**53
NOT_AN_EXPORT = "This is not a Telegram JSON export (result.json)."


@dataclass
class Problem:
    where: str
    error: ItemError


def sniff(raw: bytes) -> None:
    """A bounded look at an upload (FileError unless it may be an export): a small file is read whole, a large
    one only as far as its first bytes; the import job reads it all (`load`)."""
    if len(raw) <= SNIFF_BYTES:
        load(raw)
        return
    head = raw[:SNIFF_BYTES].decode("utf-8-sig", errors="ignore").lstrip()
    if not head.startswith("{"):
        raise FileError(NOT_AN_EXPORT)


def load(raw: bytes) -> list[dict]:
    """The chats in an export file."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FileError("The file is not UTF-8 text, so it is not a Telegram export.") from None
    except json.JSONDecodeError:
        raise FileError(NOT_AN_EXPORT) from None
    except RecursionError:
        raise FileError("The file is nested too deeply to be a Telegram export.") from None
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        return [data]
    chats = (data.get("chats") or {}).get("list") if isinstance(data, dict) and isinstance(data.get("chats"),
                                                                                            dict) else None
    if isinstance(chats, list):
        return [c for c in chats if isinstance(c, dict) and isinstance(c.get("messages") or [], list)
                and c.get("type") not in SKIPPED_CHAT_TYPES]
    raise FileError(NOT_AN_EXPORT)


def count_messages(chats: list[dict]) -> int:
    return sum(len(c.get("messages") or []) for c in chats)


def _label(value) -> str:
    return values.printable(str(value), 100) if isinstance(value, str | int) else "?"


def _identity(from_id, name) -> IdentityRef | None:
    if not from_id:
        return None
    if not isinstance(from_id, str | int) or isinstance(from_id, bool):
        raise ItemError("%(field)s must be a string", field="from_id")
    ext = str(from_id)
    if ext.startswith("user") and ext[4:].isdigit():
        ext = ext[4:]                       # Telegram's numeric user id, as bots and the API see it
    return identity("telegram", ext, display_name=name)


def _when(message: dict) -> datetime:
    try:
        if message.get("date_unixtime"):
            moment = datetime.fromtimestamp(values.whole(message["date_unixtime"], "date", 0, 2**40), UTC)
        else:
            moment = datetime.fromisoformat(message["date"]).replace(tzinfo=UTC)
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        raise ItemError("no readable date") from None
    return values.moment(moment, "date")


def _text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(part if isinstance(part, str) else part["text"] for part in value
                       if isinstance(part, str) or (isinstance(part, dict) and isinstance(part.get("text"), str)))
    return ""


def activities(chat: dict, keep_text: bool) -> Iterator[ActivityIn | Problem]:
    """The chat's activities, message by message; a message that cannot be stored as it is is one Problem."""
    chat_id = chat.get("id", "chat")
    messages = chat.get("messages") or []
    authors: dict = {}
    for m in messages:
        if isinstance(m, dict) and m.get("type") == "message" and isinstance(m.get("id"), str | int):
            try:
                authors[m["id"]] = _identity(m.get("from_id"), m.get("from"))
            except ItemError:
                authors[m["id"]] = None     # the message says why when it is read
    where_chat = _label(chat.get("name") or chat_id)
    for m in messages:
        where = f"chat {where_chat}, message {_label(m.get('id') if isinstance(m, dict) else None)}"
        try:
            yield from _message(chat, chat_id, m, authors, keep_text)
        except ItemError as exc:
            yield Problem(where, exc)


def _message(chat: dict, chat_id, m, authors: dict, keep_text: bool) -> list[ActivityIn]:
    """One message's activities (its own and its reactions), all checked before any is given out."""
    if not isinstance(m, dict):
        raise ItemError("message must be an object")
    if chat_id != "chat":
        chat_id = values.whole(chat_id, "chat id", -MAX_ID, MAX_ID)
    msg_id = values.whole(m.get("id"), "message id", -MAX_ID, MAX_ID)
    when = _when(m)
    meta = {"chat_id": chat_id, "chat": values.text(chat.get("name"), "chat name", 255, required=False) or "",
            "message_id": msg_id}
    if m.get("type") == "message":
        author = _identity(m.get("from_id"), m.get("from"))
        if author is None:
            raise ItemError("message without an author (from_id)")
        reply_to = m.get("reply_to_message_id")
        target = authors.get(reply_to) if isinstance(reply_to, str | int) else None
        text = _text(m.get("text")) if keep_text else ""
        found = [activity(author, "reply" if target else "message", when, f"tg:{chat_id}:{msg_id}", "telegram",
                          target=target, meta={**meta, "text": text[:MAX_TEXT]} if text else meta)]
        return found + _reactions(m, chat_id, msg_id, when, author, meta)
    if m.get("type") == "service":
        actor = _identity(m.get("actor_id"), m.get("actor"))
        kind = _service_kind(m)
        if actor is not None and kind:
            return [activity(actor, kind, when, f"tg:{chat_id}:{msg_id}", "telegram",
                             meta={**meta, "action": m.get("action")})]
    return []


def _reactions(m: dict, chat_id, msg_id, when: datetime, author: IdentityRef, meta: dict) -> list[ActivityIn]:
    reactions = m.get("reactions") or []
    if not isinstance(reactions, list) or not all(isinstance(r, dict) for r in reactions):
        raise ItemError("reactions must be a list of objects")
    found = []
    for reaction in reactions:
        emoji = values.text(reaction.get("emoji") or reaction.get("document_id") or reaction.get("type") or "?",
                            "reaction", 64)
        recent = reaction.get("recent") or []
        if not isinstance(recent, list) or not all(isinstance(r, dict) for r in recent):
            raise ItemError("reactions must be a list of objects")
        for who in recent:
            reactor = _identity(who.get("from_id"), who.get("from"))
            if reactor is not None:
                found.append(activity(reactor, "reaction", when,
                                      f"tg:{chat_id}:{msg_id}:r:{reactor.external_id}:{emoji}", "telegram",
                                      target=author, meta={**meta, "emoji": emoji}))
    return found


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
