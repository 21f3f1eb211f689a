"""ChannelPlugin: everything the upper layers need to know of one channel, in one description.

Platform parts (intake process, webhook router, sender, CLI, counters) are named by `Ref`s and imported
only when used, so a worker process never loads the SDK of a channel it does not run (aiogram alone
is ~100 MB of RSS).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from channels.base import Channel
from normalizer.draft import Draft

if TYPE_CHECKING:
    from workers.app.settings import Settings

NormalizerStep = Callable[[Draft], None]


def never(_settings: Settings) -> bool:
    return False


@dataclass(frozen=True)
class Ref:
    """`package.module:attribute`, imported on `load()`."""

    target: str

    def load(self) -> Any:
        module, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class IntakeProcess:
    """A channel's own intake process (`complaints worker <channel>`): an async context manager
    built as `factory(settings)`; `complaints up` starts it when `runs_when(settings)`."""

    factory: Ref
    runs_when: Callable[[Settings], bool]

    def build(self, settings: Settings) -> Any:
        return self.factory.load()(settings)


@dataclass(frozen=True)
class ChannelPlugin:
    channel: Channel
    title: str  # Russian, as staff read it
    # Its settings: which Settings fields belong to it, and whether they turn the channel on.
    settings_fields: tuple[str, ...] = ()
    configured: Callable[[Settings], bool] = never
    # The normalizer step that reads its native payload (the common steps run after it).
    normalizer_step: NormalizerStep | None = None
    intake: IntakeProcess | None = None
    webhook: Ref | None = None  # a FastAPI APIRouter, mounted by the web app
    sender: Ref | None = None  # from_settings(settings) -> PlatformSender | None
    cli: Ref | None = None  # a typer app, mounted as `complaints <channel> ...`
    counters: Ref | None = None  # a Counter of the webhook's outcomes, exposed on /metrics
    # SHUNT stages recorded at this channel's edge, with their Russian titles.
    shunt_stages: Mapping[str, str] = field(default_factory=dict)
    # False: no way back by itself (phone, web, post, fax): answered as `without_sender` says.
    answers_on_channel: bool = True
    # How a reply goes out when the channel has no sender of its own (or it is not configured):
    # "preferred": the client's preferred electronic contact, else a call-back task;
    # "callback": always a call-back task (a phone client is called back; the task names the preferred contact);
    # "status": published in the submission's status, which the personal account shows (web);
    # "letter": the client's preferred electronic contact, else a letter queued for the post room (post, fax;
    #   a call-back task where no letter sender is configured).
    without_sender: Literal["preferred", "callback", "status", "letter"] = "preferred"

    @property
    def name(self) -> str:
        return self.channel.value
