"""Step: an OK.ru message (the Bot API's own JSON, MESSAGE_CREATED) into the draft.

Sender -> identities.ok_ids (the numeric id, as the client directory keeps it) and display name;
text plus one line per attachment ("[фото: <url>]": attachments are referenced, not fetched);
reply_to = the chat (address "chat:…") and the message answered (mid); content_id = mid.
"""

from __future__ import annotations

import re
from typing import Any

from channels.base import BadSubmission
from channels.ok import parse
from normalizer.draft import Draft, add_unique
from normalizer.event import ReplyTarget

MAX_ATTACHMENTS = 50
MAX_REFERENCE_CHARS = 2000
LABELS = {"IMAGE": "фото", "PHOTO": "фото", "VIDEO": "видео", "AUDIO": "аудио", "FILE": "файл",
          "STICKER": "стикер", "SHARE": "ссылка", "LOCATION": "место", "CONTACT": "контакт"}
_UNSAFE = re.compile(r"[\x00-\x20\x7f\u0085\u2028\u2029]+")


def _reference(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    for key in ("url", "id", "token"):
        value = payload.get(key)
        if isinstance(value, int | str) and str(value):
            return _UNSAFE.sub("", str(value))[:MAX_REFERENCE_CHARS] or None
    return None


def attachment_lines(attachments: Any) -> list[str]:
    lines: list[str] = []
    for item in attachments if isinstance(attachments, list) else []:
        if len(lines) == MAX_ATTACHMENTS:
            lines.append(f"[ещё вложений: {len(attachments) - MAX_ATTACHMENTS}]")
            break
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        label = LABELS.get(kind.upper(), "вложение") if isinstance(kind, str) else "вложение"
        ref = _reference(item.get("payload"))
        lines.append(f"[{label}: {ref}]" if ref else f"[{label}]")
    return lines


def ok_message(draft: Draft) -> None:
    raw = draft.raw
    data = raw.payload
    mid, chat, user = parse.message_id(data), parse.chat_id(data), parse.user_id(data)
    if mid != raw.native_id:
        raise BadSubmission("message.mid не совпадает с native_id / mid differs from the native id")
    message = data["message"]
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    draft.text = "\n".join(part for part in (text, *attachment_lines(message.get("attachments"))) if part)
    sender = data["sender"]
    name = sender.get("name")
    draft.display_name = name if isinstance(name, str) and name.strip() else None
    add_unique(draft.identities.ok_ids, parse.numeric_user_id(user))
    draft.reply_to = ReplyTarget(address=chat, message_id=mid)
    draft.content_id = mid
