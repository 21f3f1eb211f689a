"""Replies on ok (filled in by the ok channel)."""

from __future__ import annotations

from typing import Any

from workers.senders.base import PlatformSender
from workers.settings import Settings


def from_settings(settings: Settings) -> PlatformSender[Any] | None:
    """The sender when the channel is configured, else None."""
    return None
