"""The aiogram Bot (pointed at the configured Bot API server) and the Dispatcher: one Router per concern."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.types import Message

from channels.base import RawSubmission
from channels.telegram.config import TelegramConfig
from channels.telegram.greeting import greeting_router
from channels.telegram.parse import Kind, classify, raw_submission

Publish = Callable[[RawSubmission], Awaitable[object]]


def api_server(config: TelegramConfig) -> TelegramAPIServer:
    return TelegramAPIServer.from_base(config.api_base) if config.api_base else PRODUCTION


def make_bot(config: TelegramConfig) -> Bot:
    session = AiohttpSession(api=api_server(config), timeout=config.timeout)
    return Bot(config.token.get_secret_value(), session=session)


async def _is_complaint(message: Message, raw_update: dict[str, Any]) -> bool:
    # A coroutine: aiogram runs a plain callable filter in a thread, a hop there and back per update.
    return classify(raw_update) is Kind.COMPLAINT


def intake_router() -> Router:
    """A client's message: published durably (the caller answers Telegram only after the PubAck)."""
    router = Router(name="telegram-intake")

    @router.message(_is_complaint)
    async def complaint(message: Message, raw_update: dict[str, Any], publish: Publish, bot_id: int,
                        received_at: datetime) -> Kind:
        await publish(raw_submission(bot_id, raw_update, received_at))
        return Kind.COMPLAINT

    return router


def make_dispatcher() -> Dispatcher:
    # No FSM: no handler keeps conversation state (each message is a complaint or a greeting), and its
    # middleware would look up a state for every update.
    dp = Dispatcher(name="telegram", disable_fsm=True)
    # Greeting first: "/start" is a message too, and must not become a complaint.
    dp.include_routers(greeting_router(), intake_router())
    return dp


_DISPATCHER: Dispatcher | None = None


def dispatcher() -> Dispatcher:
    """One per process (a Router can be attached to one parent only)."""
    global _DISPATCHER
    if _DISPATCHER is None:
        _DISPATCHER = make_dispatcher()
    return _DISPATCHER
