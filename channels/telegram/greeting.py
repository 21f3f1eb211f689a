"""/start and /help: the bot greets the client in Russian, explains how to file, offers to share the phone."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup

from channels.telegram.parse import Kind

SHARE_PHONE = "📱 Поделиться номером телефона"
GREETING = (
    "Здравствуйте! Это бот для претензий и обращений абонентов.\n\n"
    "Опишите проблему одним сообщением: что случилось, с какого времени и по какому адресу. "
    "Укажите номер договора, если он у вас под рукой. Можно приложить фото или документ.\n\n"
    f"Чтобы мы узнали вас по номеру телефона, нажмите кнопку «{SHARE_PHONE}» ниже.\n\n"
    "Мы зарегистрируем обращение и ответим в этом чате."
)


def contact_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=SHARE_PHONE, request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def _private(message: Message) -> bool:
    # A coroutine, not a magic filter (F.chat.type == "private"): aiogram runs a plain callable in a
    # thread, a hop there and back for every update.
    return message.chat.type == "private"


def greeting_router() -> Router:
    router = Router(name="telegram-greeting")

    @router.message(CommandStart(), _private)
    @router.message(Command("help"), _private)
    async def greet(message: Message) -> Kind:
        # Answered directly with sendMessage: a greeting is not a complaint and makes no ticket.
        await message.answer(GREETING, reply_markup=contact_keyboard())
        return Kind.GREETING

    return router
