"""The explicit registry of channel adapters, keyed by channel name."""

from __future__ import annotations

from channels.base import Channel, ChannelAdapter
from channels.phone import PhoneAdapter
from channels.web import WebAdapter

ADAPTERS: dict[Channel, ChannelAdapter] = {
    Channel.PHONE: PhoneAdapter(),
    Channel.WEB: WebAdapter(),
}
