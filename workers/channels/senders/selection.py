"""Which sender answers a reply: the channel's own platform sender, else the client's preferred contact,
else a call-back task. The platform senders come from the settings through the channel registry, so the
selection is built at worker start: `Senders.from_settings(settings)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workers.app.settings import Settings
from workers.channels.registry import PLUGINS, answers_on_channel, without_sender
from workers.channels.senders.base import Contact, PlatformSender, Sender
from workers.channels.senders.callback import CallbackSender
from workers.channels.senders.web_status import WebStatusSender

CALLBACK = CallbackSender()
WEB_STATUS = WebStatusSender()

AnySender = Sender | PlatformSender[Any]


@dataclass
class Senders:
    platform: dict[str, PlatformSender[Any]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Senders:
        platform: dict[str, PlatformSender[Any]] = {}
        for plugin in PLUGINS:
            if plugin.sender is None or not plugin.configured(settings):
                continue  # not configured: its SDK (aiogram alone is ~100 MB) is never imported
            sender = plugin.sender.load()(settings)
            if sender is not None:
                platform[plugin.name] = sender
        return cls(platform)

    def for_reply(self, channel: str, client: Contact | None) -> AnySender:
        if answers_on_channel(channel) and channel in self.platform:
            return self.platform[channel]
        fallback = without_sender(channel)
        if fallback == "status":
            return WEB_STATUS
        if fallback == "callback":
            return CALLBACK
        preferred = client.preferred_channel if client else None
        if preferred and preferred in self.platform:
            return self.platform[preferred]
        return CALLBACK


# Without settings (tests of the store-only path): no platform sender, every reply is a call-back.
NO_PLATFORMS = Senders()


def sender_for(channel: str, client: Contact | None) -> AnySender:
    return NO_PLATFORMS.for_reply(channel, client)
