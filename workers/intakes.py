"""Channel intakes that run as their own process (`complaints worker NAME`), and when `up` starts them.

Each is an async context manager built from the settings: `Intake(settings)`; it publishes to INTAKE
and holds no database connection.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from workers.settings import Settings


@dataclass(frozen=True)
class IntakeSpec:
    module: str  # imported only when the intake runs
    factory: str
    enabled: Callable[[Settings], bool]

    def build(self, settings: Settings) -> AbstractAsyncContextManager[Any]:
        return getattr(importlib.import_module(self.module), self.factory)(settings)


INTAKES: dict[str, IntakeSpec] = {
    "email": IntakeSpec("workers.email_intake", "EmailIntake", lambda s: bool(s.email_mailboxes)),
    # Webhook modes are served by the web process; these run only in polling modes.
    "vk": IntakeSpec("workers.vk_intake", "VkLongPollIntake", lambda s: s.vk is not None and s.vk.mode == "longpoll"),
    "ok": IntakeSpec("workers.ok_intake", "OkLongPollIntake", lambda s: s.ok is not None and s.ok.mode == "longpoll"),
    "telegram": IntakeSpec("workers.telegram_intake", "TelegramPollingIntake",
                           lambda s: s.telegram is not None and s.telegram.mode == "polling"),
}
INTAKE_NAMES = tuple(INTAKES)


def intake_groups(settings: Settings) -> list[tuple[str, ...]]:
    """The intake processes `complaints up` starts: one per configured polling channel."""
    return [(name,) for name, spec in INTAKES.items() if spec.enabled(settings)]
