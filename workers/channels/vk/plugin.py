"""The VK community channel: Callback API webhook or Bots Long Poll intake, messages.send replies."""

from __future__ import annotations

from channels.base import Channel
from normalizer.vk import vk_message
from workers.channels.plugin import ChannelPlugin, IntakeProcess, Ref

# SHUNT records at the edge: events that cannot be complaints (both modes record under LONG_POLL_STAGE).
LONG_POLL_STAGE = "vk_intake"
CALLBACK_STAGE = "vk_callback"

VK = ChannelPlugin(
    Channel.VK,
    "ВКонтакте",
    settings_fields=("vk",),
    configured=lambda s: s.vk is not None,
    normalizer_step=vk_message,
    # The webhook mode is served by the web process; the intake process runs only in long-poll mode.
    intake=IntakeProcess(Ref("workers.channels.vk.process:VkLongPollProcess"),
                         lambda s: s.vk is not None and s.vk.mode == "longpoll"),
    webhook=Ref("workers.channels.vk.webhook:router"),
    sender=Ref("workers.channels.vk.sender:from_settings"),
    counters=Ref("channels.vk.callback:METRICS"),
    shunt_stages={LONG_POLL_STAGE: "Приём ВКонтакте", CALLBACK_STAGE: "ВКонтакте (Callback API)"},
)
