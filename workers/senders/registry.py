"""Which sender answers on which channel; channels without their own reply path use the preferred contact."""

from __future__ import annotations

from workers.senders.base import Contact, Sender
from workers.senders.callback import CallbackSender

# Filled in as channels gain a reply path (email, vk, ok, telegram in their own issues).
SENDERS: dict[str, Sender] = {}
CALLBACK = CallbackSender()
# Phone calls and the personal-account form have no way back by themselves.
NO_REPLY_PATH = {"phone", "web", "post", "fax"}


def sender_for(channel: str, client: Contact | None) -> Sender:
    if channel not in NO_REPLY_PATH and channel in SENDERS:
        return SENDERS[channel]
    preferred = client.preferred_channel if client else None
    if preferred and preferred in SENDERS:
        return SENDERS[preferred]
    return CALLBACK
