"""Step: a Telegram update (the Bot API's own JSON) -> sender, text, files by file_id, shared phone, reply target.

Only new private messages are published (channels.telegram.parse.classify).
Files are referenced by file_id as text lines ("[фото: <file_id>]"): the staff see them, nothing is fetched.
"""

from __future__ import annotations

from typing import Any

from channels.base import BadSubmission
from normalizer.draft import Draft, add_unique
from normalizer.event import ReplyTarget
from normalizer.phones import to_e164

CONTACT_CATEGORY = "contact"
MAX_TEXT = 200_000  # a Telegram message is at most 4096 characters; bounds a forged one (cut visibly later)


def telegram_message(draft: Draft) -> None:
    message = draft.raw.payload.get("message")
    if not isinstance(message, dict):
        raise BadSubmission("в обновлении Telegram нет сообщения / telegram update without a message")
    chat, sender = message.get("chat"), message.get("from")
    message_id = message.get("message_id")
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int) or not isinstance(message_id, int):
        raise BadSubmission("telegram message without chat.id or message_id")
    if not isinstance(sender, dict) or not isinstance(sender.get("id"), int):
        raise BadSubmission("telegram message without from.id")

    user_id = sender["id"]
    add_unique(draft.identities.telegram_ids, str(user_id))
    draft.display_name = display_name(sender)
    draft.reply_to = ReplyTarget(address=str(chat["id"]), message_id=str(message_id))
    draft.content_id = f"{chat['id']}:{message_id}"

    lines: list[str] = []
    text = message.get("text") or message.get("caption")
    if isinstance(text, str) and text.strip():
        lines.append(text[:MAX_TEXT])
    lines.extend(file_lines(message))
    contact = message.get("contact")
    if isinstance(contact, dict):
        lines.append(_contact(draft, contact, user_id, has_text=bool(lines)))
    draft.text = "\n".join(line for line in lines if line)


def display_name(user: dict[str, Any]) -> str | None:
    parts = [user.get("first_name"), user.get("last_name")]
    name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    if name:
        return name[:200]
    username = user.get("username")
    return f"@{username}" if isinstance(username, str) and username else None


def _file_id(item: Any) -> str:
    value = item.get("file_id") if isinstance(item, dict) else None
    return value if isinstance(value, str) and value else "?"


def _dimension(value: Any) -> int:
    """A photo size's width or height; 0 for anything but a positive integer (a forged or broken update)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def file_lines(message: dict[str, Any]) -> list[str]:
    """One line per file, by file_id (getFile turns it into a download link for the bot)."""
    lines: list[str] = []
    photo = message.get("photo")
    if isinstance(photo, list) and photo:
        # The sizes of one photo, smallest first: the largest is the one worth looking at.
        largest = max((p for p in photo if isinstance(p, dict)), key=lambda p: _dimension(p.get("width"))
                      * _dimension(p.get("height")), default=None)
        lines.append(f"[фото: {_file_id(largest)}]")
    document = message.get("document")
    if isinstance(document, dict):
        name = document.get("file_name")
        label = f"{name}, " if isinstance(name, str) and name else ""
        lines.append(f"[документ: {label}{_file_id(document)}]")
    for key, label in (("voice", "голосовое сообщение"), ("audio", "аудио"), ("video", "видео"),
                       ("video_note", "видеосообщение")):
        if isinstance(message.get(key), dict):
            lines.append(f"[{label}: {_file_id(message[key])}]")
    return lines


def _contact(draft: Draft, contact: dict[str, Any], user_id: int, has_text: bool) -> str:
    if contact.get("user_id") != user_id:
        # Someone else's card: not the client's identity; the number is left out of the text too,
        # or the identities step would take it for the client's.
        name = display_name(contact) or "без имени"
        return f"[контакт другого человека: {name}]"
    phone = own_phone(contact.get("phone_number"))
    if phone is None:
        return "[клиент поделился номером телефона, но номер не распознан]"
    add_unique(draft.identities.phones, phone)
    add_unique(draft.identities.verified_phones, phone)  # the card's user_id is the sender's own
    if not has_text:
        draft.category = CONTACT_CATEGORY
    return f"Клиент поделился своим номером телефона: {phone}"


def own_phone(value: Any) -> str | None:
    """Telegram sends the number in international form, often without '+' ("79161110001")."""
    if not isinstance(value, str) or not value.strip():
        return None
    digits = value.strip()
    if not digits.startswith("+") and digits.isdigit():
        return to_e164("+" + digits) or to_e164(digits)
    return to_e164(digits)
