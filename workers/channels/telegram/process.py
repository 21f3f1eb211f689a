"""The Telegram polling intake (`complaints worker telegram` when mode is "polling"), and bad-update quarantine."""

from __future__ import annotations

import json
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from nats.js import JetStreamContext
from nats.js.api import PubAck

from channels.base import BadSubmission, RawSubmission
from channels.telegram.bot import dispatcher, make_bot
from channels.telegram.config import TelegramConfig
from channels.telegram.metrics import count
from channels.telegram.polling import BotApiUpdates, PollingLoop
from channels.telegram.updates import handle_update
from workers.app.service import ChannelProcess
from workers.bus.publish import publish_to_intake
from workers.bus.shunt import record_at_edge
from workers.channels.telegram.plugin import POLLING_STAGE

log = logging.getLogger("complaints.telegram")



async def quarantine_update(js: JetStreamContext, bot_id: int, body: bytes, reason: str,
                            stage: str = POLLING_STAGE) -> PubAck:
    """A SHUNT record for an update that cannot be processed (visible with its reason on the quarantine page)."""
    try:
        update_id = json.loads(body).get("update_id")
    except (ValueError, AttributeError):
        update_id = None
    key = f"telegram:{bot_id}:{update_id}" if isinstance(update_id, int) else None
    return await record_at_edge(js, stage, reason, f"telegram:bot{bot_id}", body, key)


def update_handler(config: TelegramConfig, bot: Bot, js: JetStreamContext) -> Any:
    """handle(update): publish (or greet); a bad update is quarantined, which also counts as handled."""
    dp = dispatcher()

    async def publish(raw: RawSubmission) -> PubAck:
        return await publish_to_intake(js, raw)

    async def handle(update: dict[str, Any]) -> None:
        try:
            await handle_update(dp, bot, update, publish, config.bot_id, datetime.now(UTC))
        except BadSubmission as exc:
            count("quarantined")
            log.warning("telegram: bad update quarantined: %s", exc)
            await quarantine_update(js, config.bot_id, json.dumps(update, ensure_ascii=False).encode(), str(exc))

    return handle


@dataclass
class TelegramPollingProcess(ChannelProcess):
    loop: PollingLoop = field(init=False)
    _bot: Bot = field(init=False)
    _updates: BotApiUpdates = field(init=False)

    async def open(self, js: JetStreamContext) -> dict[str, Coroutine[Any, Any, None]]:
        config = self.settings.telegram
        if config is None:
            raise RuntimeError("the Telegram channel is not configured (COMPLAINTS_TELEGRAM)")
        self._bot = make_bot(config)
        self._updates = BotApiUpdates(config)
        try:
            # getUpdates is refused while a webhook is set; pending updates are kept.
            await self._bot.delete_webhook(drop_pending_updates=False)
        except TelegramAPIError as exc:  # Telegram unreachable now: the loop retries getUpdates with back-off
            log.warning("telegram: deleteWebhook failed (%s); polling anyway", type(exc).__name__)
        handle = update_handler(config, self._bot, js)
        self.loop = PollingLoop(config, self._updates.fetch, handle, stop=self.stopping)
        log.info("telegram polling intake running for bot %s", config.bot_id)
        return {"telegram-polling": self.loop.run()}

    async def close(self) -> None:
        await self._updates.close()
        await self._bot.session.close()
