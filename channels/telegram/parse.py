"""Pure: a Bot API Update (the JSON object as received) -> what to do with it, and its RawSubmission."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from channels.base import BadSubmission, Channel, RawSubmission, submission_id_for

# Message contents a complaint can consist of (text, or a file referenced by file_id, or a shared contact).
CONTENT_KEYS = ("text", "caption", "photo", "document", "contact", "voice", "audio", "video", "video_note")
GREETING_COMMANDS = frozenset({"/start", "/help"})


class Kind(StrEnum):
    COMPLAINT = "complaint"  # published durably, becomes a ComplaintEvent
    GREETING = "greeting"  # /start, /help: answered by the bot at once, no ticket
    IGNORED = "ignored"  # edited messages, channel posts, group chats, stickers, unknown kinds: counted only


def native_id(bot_id: int, update_id: int) -> str:
    return f"{bot_id}:{update_id}"


def update_id_of(update: Any) -> int:
    if not isinstance(update, dict):
        raise BadSubmission("the update is not a JSON object")
    value = update.get("update_id")
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadSubmission("the update has no integer update_id")
    return value


def update_type(update: dict[str, Any]) -> str:
    """The update's kind: its one key besides update_id ("message", "edited_message", ...)."""
    kinds = [key for key in update if key != "update_id"]
    return kinds[0] if len(kinds) == 1 else "unknown"


def command_of(text: str) -> str | None:
    """'/start@my_bot payload' -> '/start'."""
    if not text.startswith("/"):
        return None
    return text.split(maxsplit=1)[0].split("@", 1)[0].lower()


def classify(update: dict[str, Any]) -> Kind:
    """Only new messages from people in a private chat with the bot are complaints."""
    if update_type(update) != "message":
        return Kind.IGNORED
    message = update["message"]
    if not isinstance(message, dict):
        return Kind.IGNORED
    chat, sender = message.get("chat"), message.get("from")
    if not isinstance(chat, dict) or chat.get("type") != "private":
        return Kind.IGNORED  # a group or channel: an answer there would be read by others
    if not isinstance(sender, dict) or sender.get("is_bot") or not isinstance(sender.get("id"), int):
        return Kind.IGNORED
    text = message.get("text")
    if isinstance(text, str) and command_of(text) in GREETING_COMMANDS:
        return Kind.GREETING
    if any(message.get(key) for key in CONTENT_KEYS):
        return Kind.COMPLAINT
    return Kind.IGNORED


def raw_submission(bot_id: int, update: dict[str, Any], received_at: datetime) -> RawSubmission:
    """The submission of one update (native id "<bot_id>:<update_id>"; raises BadSubmission)."""
    nid = native_id(bot_id, update_id_of(update))
    message = update.get("message") or {}
    sender = message.get("from") or {}
    return RawSubmission(
        submission_id=submission_id_for(Channel.TELEGRAM, nid),
        channel=Channel.TELEGRAM,
        native_id=nid,
        received_at=received_at,
        payload=update,
        sender_hint=f"telegram:{sender['id']}" if isinstance(sender.get("id"), int) else None,
    )
