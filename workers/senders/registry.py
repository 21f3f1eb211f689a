"""Which sender answers on which channel; channels without their own reply path use the preferred contact.

The platform senders come from the settings (email only when an SMTP relay is configured), so the
registry is built at worker start: `Senders.from_settings(settings)`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from workers.senders.base import Contact, PlatformSender, Sender
from workers.senders.callback import CallbackSender
from workers.senders.email import EmailSender
from workers.settings import Settings

CALLBACK = CallbackSender()
PLATFORM_SENDERS = {"vk": "workers.senders.vk", "ok": "workers.senders.ok", "telegram": "workers.senders.telegram"}
# Phone calls and the personal-account form have no way back by themselves.
NO_REPLY_PATH = {"phone", "web", "post", "fax"}

AnySender = Sender | PlatformSender[Any]


@dataclass
class Senders:
    platform: dict[str, PlatformSender[Any]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Senders:
        platform: dict[str, PlatformSender[Any]] = {}
        if settings.smtp is not None:
            platform["email"] = EmailSender(settings.smtp, settings.email_reply_cap_per_day)
        for channel, module_name in PLATFORM_SENDERS.items():
            if getattr(settings, channel) is None:
                continue  # not configured: its SDK (aiogram alone is ~100 MB) is never imported
            sender = importlib.import_module(module_name).from_settings(settings)
            if sender is not None:
                platform[channel] = sender
        return cls(platform)

    def for_reply(self, channel: str, client: Contact | None) -> AnySender:
        if channel not in NO_REPLY_PATH and channel in self.platform:
            return self.platform[channel]
        preferred = client.preferred_channel if client else None
        if preferred and preferred in self.platform:
            return self.platform[preferred]
        return CALLBACK


# Without settings (tests of the store-only path): no platform sender, every reply is a call-back.
NO_PLATFORMS = Senders()


def sender_for(channel: str, client: Contact | None) -> AnySender:
    return NO_PLATFORMS.for_reply(channel, client)
