"""Channels with no upper part of their own: the phone form and the personal account's REST feedback are
pages and API routes of the web app (post and fax: workers.channels.scan)."""

from __future__ import annotations

from channels.base import Channel
from normalizer.structured import structured_fields
from workers.channels.plugin import ChannelPlugin

PHONE = ChannelPlugin(Channel.PHONE, "Телефон", normalizer_step=structured_fields, answers_on_channel=False,
                      without_sender="callback")
WEB = ChannelPlugin(Channel.WEB, "Личный кабинет", normalizer_step=structured_fields, answers_on_channel=False,
                    without_sender="status")
