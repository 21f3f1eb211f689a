"""Chat messages shaped as VK and Telegram send them, for the benchmarks that feed those channels (edges over
HTTP, the storm straight into INTAKE): one shape each, so the two benchmarks cannot drift apart."""

from __future__ import annotations

from typing import Any


def vk_message_new(group_id: int, event_id: str, user: int, message_id: int, text: str, date: int) -> dict[str, Any]:
    """A Callback API `message_new` event (API 5.199) of a private message from `user` (no `secret`: the caller
    adds it when the event goes over HTTP)."""
    return {"group_id": group_id, "type": "message_new", "event_id": event_id, "v": "5.199",
            "object": {"message": {"date": date, "from_id": user, "id": message_id, "out": 0, "attachments": [],
                                   "conversation_message_id": message_id, "fwd_messages": [], "important": False,
                                   "is_hidden": False, "peer_id": user, "random_id": 0, "text": text},
                       "client_info": {"button_actions": ["text"], "keyboard": True, "inline_keyboard": True,
                                       "carousel": True, "lang_id": 0}}}


def telegram_private_message(update_id: int, user: int, message_id: int, text: str, date: int) -> dict[str, Any]:
    """A Bot API update with a private text message from `user`."""
    return {"update_id": update_id,
            "message": {"message_id": message_id, "date": date, "text": text,
                        "from": {"id": user, "is_bot": False, "first_name": "Клиент", "language_code": "ru"},
                        "chat": {"id": user, "type": "private", "first_name": "Клиент"}}}
