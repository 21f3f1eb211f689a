"""Pure: an OK.ru Bot API event (webhook body or long-poll update) -> RawSubmission.

A new message (`webhookType` MESSAGE_CREATED) looks like (apiok.ru, graph.user.subscribe):
    {"sender": {"user_id": "user:571…", "name": "…"}, "recipient": {"chat_id": "chat:C3e…"},
     "message": {"text": "…", "mid": "mid:C3e….16a…", "seq": 100…, "attachments": [{"type", "payload"}]},
     "timestamp": 1551273849000, "webhookType": "MESSAGE_CREATED"}
The native id is `message.mid` as sent (OK resends the same mid after a missed answer).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from channels.base import BadSubmission, Channel, RawSubmission, submission_id_for

MESSAGE_CREATED = "MESSAGE_CREATED"
# Documented kinds we take no complaint from (recorded and ignored, not quarantined).
KNOWN_IGNORED = frozenset({"MESSAGE_CALLBACK", "CHAT_SYSTEM", "MESSAGE_EDITED", "MESSAGE_REMOVED"})
MAX_BODY_BYTES = 1024 * 1024
MAX_ID_CHARS = 256
_ID_CHARS = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no blanks: ids reach URLs and logs


def decode_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a request body; BadSubmission with the reason otherwise."""
    if len(body) > MAX_BODY_BYTES:
        raise BadSubmission(f"тело запроса больше {MAX_BODY_BYTES} байт / body over {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadSubmission(f"тело запроса не JSON / body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadSubmission("тело запроса не JSON-объект / body is not a JSON object")
    return data


def event_type(data: dict[str, Any]) -> str:
    kind = data.get("webhookType") or data.get("type")
    return kind if isinstance(kind, str) and kind else "UNKNOWN"


def _id(data: dict[str, Any], outer: str, inner: str, prefix: str) -> str:
    part = data.get(outer)
    value = part.get(inner) if isinstance(part, dict) else None
    if not isinstance(value, str) or not value or len(value) > MAX_ID_CHARS or not _ID_CHARS.match(value):
        raise BadSubmission(f"нет или неверно поле {outer}.{inner} / missing or malformed {outer}.{inner}")
    if not value.startswith(prefix):
        raise BadSubmission(f"поле {outer}.{inner} должно начинаться с {prefix!r} / {outer}.{inner} lacks {prefix!r}")
    return value


def message_id(data: dict[str, Any]) -> str:
    return _id(data, "message", "mid", "mid:")


def chat_id(data: dict[str, Any]) -> str:
    return _id(data, "recipient", "chat_id", "chat:")


def user_id(data: dict[str, Any]) -> str:
    return _id(data, "sender", "user_id", "user:")


def numeric_user_id(value: str) -> str:
    """'user:571234567890' -> '571234567890' (how the client directory keeps OK ids)."""
    return value.removeprefix("user:")


def parse_message(data: dict[str, Any], received_at: datetime | None = None) -> RawSubmission:
    """A MESSAGE_CREATED event -> RawSubmission (native id = mid); BadSubmission when malformed."""
    if event_type(data) != MESSAGE_CREATED:
        raise BadSubmission(f"не сообщение: {event_type(data)[:64]!r} / not a MESSAGE_CREATED event")
    mid = message_id(data)
    sender = user_id(data)
    chat_id(data)
    message = data["message"]
    text, attachments = message.get("text"), message.get("attachments")
    if text is not None and not isinstance(text, str):
        raise BadSubmission("message.text не строка / message.text is not a string")
    if attachments is not None and not isinstance(attachments, list):
        raise BadSubmission("message.attachments не список / message.attachments is not a list")
    return RawSubmission(
        submission_id=submission_id_for(Channel.OK, mid),
        channel=Channel.OK,
        native_id=mid,
        received_at=received_at or datetime.now(UTC),
        payload=data,
        sender_hint=sender,
    )


def triage(data: dict[str, Any], received_at: datetime | None = None) -> RawSubmission | str:
    """A submission for a new message; the kind (str) for a documented kind we ignore.

    BadSubmission for a malformed message or an unknown kind (quarantined with the reason).
    """
    kind = event_type(data)
    if kind in KNOWN_IGNORED:
        return kind
    if kind != MESSAGE_CREATED:
        raise BadSubmission(f"неизвестный тип события OK {kind[:64]!r} / unknown OK event type")
    return parse_message(data, received_at)
