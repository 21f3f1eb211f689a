"""Which sender answers a reply: the channel's own platform sender, else the client's preferred contact,
else a letter by post (post and fax, when a letter sender is configured) or a call-back task. The platform
senders come from the settings through the channel registry, so the selection is built at worker start:
`Senders.from_settings(settings)`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from workers.app.settings import Settings
from workers.channels.registry import PLUGINS, answers_on_channel, without_sender
from workers.channels.senders.base import Contact, PlatformSender, Sender
from workers.channels.senders.callback import CallbackSender
from workers.channels.senders.letter import LetterSender
from workers.channels.senders.web_status import WebStatusSender
from workers.letters.config import LetterheadConfig
from workers.letters.fonts import FontsMissing, check_fonts

log = logging.getLogger("complaints.deliver")

CALLBACK = CallbackSender()
WEB_STATUS = WebStatusSender()

AnySender = Sender | PlatformSender[Any]


@dataclass
class Senders:
    platform: dict[str, PlatformSender[Any]] = field(default_factory=dict)
    letter: Sender | None = None  # a letter for the post room (without it, a call-back task)

    @classmethod
    def from_settings(cls, settings: Settings) -> Senders:
        platform: dict[str, PlatformSender[Any]] = {}
        for plugin in PLUGINS:
            if plugin.sender is None or not plugin.configured(settings):
                continue  # not configured: its SDK (aiogram alone is ~100 MB) is never imported
            sender = plugin.sender.load()(settings)
            if sender is not None:
                platform[plugin.name] = sender
        return cls(platform, _letter_sender(settings))

    async def aclose(self) -> None:
        """Close the clients the platform senders keep between batches (a Bot's HTTP session); each is
        closed even when another fails."""
        for name, sender in self.platform.items():
            close = getattr(sender, "aclose", None)
            if close is None:
                continue
            try:
                await close()
            except Exception:  # stopping: one sender's failure must not keep the others open
                log.warning("closing the %s sender failed", name, exc_info=True)

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
        if fallback == "letter" and self.letter is not None:
            return self.letter
        return CALLBACK


def _letter_sender(settings: Settings) -> LetterSender | None:
    """Letters need the DejaVu fonts (Cyrillic, embedded): without them post and fax fall back to call-backs."""
    try:
        check_fonts()  # the renderer (reportlab) is imported only by the first letter
    except FontsMissing as exc:
        log.error("letters by post are off, post and fax replies become call-backs: %s", exc)
        return None
    letterhead = getattr(settings, "letterhead", None) or LetterheadConfig()
    return LetterSender(settings.blobs, letterhead, settings.calendar.tz)


# Without settings (tests of the store-only path): no platform sender, no letters: every reply is a call-back.
NO_PLATFORMS = Senders()


def sender_for(channel: str, client: Contact | None) -> AnySender:
    return NO_PLATFORMS.for_reply(channel, client)
