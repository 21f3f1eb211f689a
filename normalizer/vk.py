"""Step: a vk submission (the event JSON VK sent, without the secret) into the draft.

message_new (either object shape), wall_reply_new and board_post_new. The reply target's address is
where the conversation lives: the dialog's peer_id for a message; the author's user id for a wall
comment or board post (a private message goes there when the user allows it), with the comment to
answer in `message_id` ("wall:<owner_id>:<post_id>:<comment_id>", "board:<group_id>:<topic_id>:<id>")
for the fallback reply by comment. Attachments are kept as references in the text.
"""

from __future__ import annotations

from typing import Any

from channels.base import BadSubmission
from channels.vk.parse import check_event, message_of
from normalizer.draft import Draft, add_unique
from normalizer.event import RemoteAttachment, ReplyTarget

MAX_TEXT = 200_000
MAX_FORWARDED = 20
CHAT_PEER_START = 2_000_000_000

_LABELS = {
    "photo": "фото", "doc": "документ", "video": "видео", "audio": "аудиозапись",
    "audio_message": "голосовое сообщение", "sticker": "стикер", "link": "ссылка", "wall": "запись",
    "graffiti": "граффити", "poll": "опрос", "market": "товар", "gift": "подарок",
}


def vk_message(draft: Draft) -> None:
    body = draft.raw.payload
    kind = body.get("type")
    check_event(body)
    obj = body["object"]
    if kind == "message_new":
        _message(draft, message_of(obj))
    elif kind == "wall_reply_new":
        where = f"wall:{obj['owner_id']}:{obj['post_id']}:{obj['id']}"
        _comment(draft, obj, where, f"wall:{obj['owner_id']}_{obj['post_id']}:{obj['id']}")
    elif kind == "board_post_new":
        where = f"board:{obj['topic_owner_id']}:{obj['topic_id']}:{obj['id']}"
        _comment(draft, obj, where, f"board:{obj['topic_owner_id']}_{obj['topic_id']}:{obj['id']}")
    else:
        raise BadSubmission(f"VK event type {kind!r} is not a complaint")


def _user(draft: Draft, from_id: int) -> None:
    if from_id > 0:  # negative ids are communities
        add_unique(draft.identities.vk_ids, str(from_id))


def _message(draft: Draft, msg: dict[str, Any]) -> None:
    peer_id, from_id = int(msg["peer_id"]), int(msg["from_id"])
    _user(draft, from_id)
    message_id = msg.get("id")
    cmid = msg.get("conversation_message_id")
    draft.reply_to = ReplyTarget(
        address=str(peer_id),
        # In group chats `id` is 0: only the conversation_message_id names the message there.
        message_id=str(message_id) if isinstance(message_id, int) and message_id > 0 else None,
    )
    if isinstance(cmid, int):
        draft.content_id = f"{peer_id}:{cmid}"
    draft.text = _compose(msg)
    draft.remote_attachments = remote_attachments(msg.get("attachments"))


def _comment(draft: Draft, obj: dict[str, Any], where: str, content_id: str) -> None:
    from_id = int(obj["from_id"])
    _user(draft, from_id)
    draft.reply_to = ReplyTarget(address=str(from_id), message_id=where)
    draft.content_id = content_id
    draft.text = _compose(obj)
    draft.remote_attachments = remote_attachments(obj.get("attachments"))


def _compose(msg: dict[str, Any]) -> str:
    """The text, then one line per attachment, then forwarded and quoted messages."""
    parts: list[str] = []
    text = msg.get("text")
    if isinstance(text, str) and text.strip():
        parts.append(text.strip())
    lines = attachment_lines(msg.get("attachments"))
    if lines:
        parts.append("\n".join(lines))
    quoted: list[Any] = [msg["reply_message"]] if isinstance(msg.get("reply_message"), dict) else []
    fwd = msg.get("fwd_messages")
    forwarded: list[Any] = fwd if isinstance(fwd, list) else []
    for item in [*quoted, *forwarded][:MAX_FORWARDED]:
        if isinstance(item, dict) and isinstance(item.get("text"), str) and item["text"].strip():
            parts.append("Пересланное сообщение: " + item["text"].strip())
    if not parts:
        return "(сообщение без текста)"
    return "\n\n".join(parts)[:MAX_TEXT]


def attachment_lines(attachments: Any) -> list[str]:
    if not isinstance(attachments, list):
        return []
    lines: list[str] = []
    for item in attachments:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            continue
        kind = item["type"]
        found = item.get(kind)
        data: dict[str, Any] = found if isinstance(found, dict) else {}
        label = _LABELS.get(kind, kind)
        reference = attachment_reference(kind, data)
        lines.append(f"[{label}: {reference}]" if reference else f"[{label}]")
    return lines


def remote_attachments(attachments: Any) -> list[RemoteAttachment]:
    """Photos (largest size) and documents with a URL: what the attachments worker fetches."""
    found: list[RemoteAttachment] = []
    for item in attachments if isinstance(attachments, list) else []:
        kind = item.get("type") if isinstance(item, dict) else None
        data = item.get(kind) if isinstance(kind, str) else None
        if not isinstance(data, dict):
            continue
        if kind == "photo":
            url = attachment_reference("photo", data)
            if url and url.startswith(("http://", "https://")):
                found.append(RemoteAttachment(name=f"photo{data.get('owner_id')}_{data.get('id')}.jpg",
                                              content_type="image/jpeg", url=url[:2000]))
        elif kind == "doc" and isinstance(data.get("url"), str):
            ext = str(data.get("ext") or "bin")
            title = str(data.get("title") or f"doc{data.get('owner_id')}_{data.get('id')}.{ext}")
            size = data.get("size")
            found.append(RemoteAttachment(
                name=title[:300], content_type=_DOC_TYPES.get(ext.lower(), "application/octet-stream"),
                url=str(data["url"])[:2000], size=size if isinstance(size, int) and size >= 0 else None))
    return found[:MAX_REMOTE_ATTACHMENTS]


_DOC_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
              "txt": "text/plain", "doc": "application/msword", "zip": "application/zip",
              "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
MAX_REMOTE_ATTACHMENTS = 20


def _dimension(value: Any) -> int:
    """A photo size's width or height; 0 for anything but a positive integer (a forged or broken event)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def attachment_reference(kind: str, data: dict[str, Any]) -> str | None:
    """Where the attachment can be fetched (largest photo size, doc url), else its VK id."""
    if kind == "photo":
        listed = data.get("sizes")
        sizes = [s for s in listed if isinstance(s, dict) and isinstance(s.get("url"), str)] if isinstance(
            listed, list) else []
        if sizes:
            best = max(sizes, key=lambda s: _dimension(s.get("width")) * _dimension(s.get("height")))
            return str(best["url"])
    if kind == "doc":
        title = data.get("title")
        url = data.get("url")
        if isinstance(url, str):
            return f"{title} {url}" if isinstance(title, str) and title else url
    if kind == "link" and isinstance(data.get("url"), str):
        return str(data["url"])
    owner, item_id = data.get("owner_id"), data.get("id")
    if isinstance(owner, int) and isinstance(item_id, int):
        return f"{kind}{owner}_{item_id}"
    return None
