"""THE channel registry: one ChannelPlugin per channel. The web app, the CLI, `complaints up`, the sender
lookup, the normalize stage, /metrics and the labels all read it; none keeps a channel list of its own.

Adding a channel: its own folders, one line below, and the data-model edits that are truly per channel
(CONTRIBUTING.md, "Add a channel").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from channels.base import Channel
from workers.channels import builtin
from workers.channels.email.plugin import EMAIL
from workers.channels.ok.plugin import OK
from workers.channels.plugin import ChannelPlugin, NormalizerStep
from workers.channels.scan.plugin import FAX, POST
from workers.channels.telegram.plugin import TELEGRAM
from workers.channels.vk.counters import outcome_label as vk_outcome_label
from workers.channels.vk.plugin import VK

if TYPE_CHECKING:
    from workers.app.settings import Settings

PLUGINS: tuple[ChannelPlugin, ...] = (EMAIL, VK, OK, TELEGRAM, builtin.PHONE, builtin.WEB, POST, FAX)
BY_CHANNEL: Mapping[Channel, ChannelPlugin] = {plugin.channel: plugin for plugin in PLUGINS}
INTAKE_NAMES: tuple[str, ...] = tuple(plugin.name for plugin in PLUGINS if plugin.intake is not None)


def plugin_for(channel: Channel | str) -> ChannelPlugin:
    return BY_CHANNEL[Channel(channel)]


def normalizer_steps() -> dict[Channel, NormalizerStep]:
    """The `{Channel: step}` mapping the normalizer picks each submission's channel step from."""
    return {p.channel: p.normalizer_step for p in PLUGINS if p.normalizer_step is not None}


def build_intake(name: str, settings: Settings) -> Any:
    intake = plugin_for(name).intake
    if intake is None:
        raise ValueError(f"channel {name!r} has no intake process")
    return intake.build(settings)


def intake_groups(settings: Settings) -> list[tuple[str, ...]]:
    """The intake processes `complaints up` starts: one per configured polling channel."""
    return [(p.name,) for p in PLUGINS if p.intake is not None and p.intake.runs_when(settings)]


def channel_titles() -> dict[str, str]:
    return {p.name: p.title for p in PLUGINS}


def shunt_stage_titles() -> dict[str, str]:
    return {stage: title for p in PLUGINS for stage, title in p.shunt_stages.items()}


def webhook_routers() -> list[Any]:
    return [p.webhook.load() for p in PLUGINS if p.webhook is not None]


def cli_apps() -> list[tuple[str, Any]]:
    return [(p.name, p.cli.load()) for p in PLUGINS if p.cli is not None]


def webhook_counters() -> dict[str, Counter[str]]:
    return {p.name: p.counters.load() for p in PLUGINS if p.counters is not None}


# A channel whose counter names carry a value the request chose: the bounded label each is shown under.
_OUTCOME_LABELS: Mapping[str, Callable[[str], str]] = {VK.name: vk_outcome_label}


def counter_labels(channel: str, counter: Counter[str]) -> Counter[str]:
    """A channel's counts under their /metrics labels (an unbounded value folded into a bounded one)."""
    label = _OUTCOME_LABELS.get(channel)
    if label is None:
        return counter
    shown: Counter[str] = Counter()
    for outcome, value in counter.items():
        shown[label(outcome)] += value
    return shown


def answers_on_channel(channel: str) -> bool:
    return channel in BY_CHANNEL and BY_CHANNEL[Channel(channel)].answers_on_channel


def without_sender(channel: str) -> str:
    """ChannelPlugin.without_sender of a channel ("preferred" for one the registry does not know)."""
    return BY_CHANNEL[Channel(channel)].without_sender if channel in BY_CHANNEL else "preferred"
