"""Channels with no upper part of their own: the phone form and the personal account's REST feedback are
pages and API routes of the web app; post and fax are registered by staff until the scan channel comes."""

from __future__ import annotations

from channels.base import Channel
from normalizer.structured import structured_fields
from workers.channels.plugin import ChannelPlugin

PHONE = ChannelPlugin(Channel.PHONE, "Телефон", normalizer_step=structured_fields, answers_on_channel=False,
                      without_sender="callback")
WEB = ChannelPlugin(Channel.WEB, "Личный кабинет", normalizer_step=structured_fields, answers_on_channel=False,
                    without_sender="status")
POST = ChannelPlugin(Channel.POST, "Почта", answers_on_channel=False)
FAX = ChannelPlugin(Channel.FAX, "Факс", answers_on_channel=False)
