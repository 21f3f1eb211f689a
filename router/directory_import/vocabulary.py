"""The codes the directory stores, the loose spellings (Russian synonyms) a file may use for them, and labels."""

from __future__ import annotations

import re
from typing import Any, Literal, TypeVar

from channels.base import CHAT_CHANNELS, Channel

Segment = Literal["individual", "business"]
BuildingType = Literal["apartment", "private", "office"]
Role = Literal["operator", "manager", "department_head", "subscriber_head", "director", "admin"]
ROLES: tuple[Role, ...] = ("operator", "manager", "department_head", "subscriber_head", "director", "admin")

# Every channel but fax, which the directory has never accepted as a client's preferred channel.
PREFERRED_CHANNELS: tuple[str, ...] = tuple(channel.value for channel in Channel if channel is not Channel.FAX)

# A client's identity kinds (normalizer.event.Identities.KINDS): the channel ones are named after the channel.
IDENTITY_LABELS: dict[str, str] = {
    "contract": "номер договора",
    "account": "лицевой счёт",
    Channel.PHONE.value: "телефон",
    Channel.EMAIL.value: "e-mail",
    **{channel.value: account.label for channel, account in CHAT_CHANNELS.items()},
}
IDENTITY_KINDS: tuple[str, ...] = tuple(IDENTITY_LABELS)

SUBSCRIBER_DEPARTMENT = "subscriber"  # router.assignment; repeated to keep this package free of its imports

T = TypeVar("T")


def loose_key(value: str) -> str:
    """Loose spelling for synonyms: "Физ. лицо" -> "физлицо", "department_head" -> "departmenthead"."""
    return re.sub(r"[\s._\-]+", "", value.casefold())


def _loose(*groups: tuple[T, tuple[str, ...]]) -> dict[str, T]:
    return {loose_key(name): value for value, names in groups for name in (str(value), *names)}


SEGMENTS: dict[str, Segment] = _loose(
    ("individual", ("person", "физ", "физ. лицо", "физическое лицо", "ФЛ", "частное лицо")),
    ("business", ("company", "юр", "юр. лицо", "юридическое лицо", "ЮЛ", "ИП", "организация")),
)
BUILDINGS: dict[str, BuildingType] = _loose(
    ("apartment", ("МКД", "многоквартирный", "многоквартирный дом", "квартира")),
    ("private", ("house", "частный", "частный дом", "дом")),
    ("office", ("офис", "нежилое", "нежилое помещение")),
)
ROLE_NAMES: dict[str, Role] = _loose(
    ("operator", ("оператор",)),
    ("manager", ("менеджер", "персональный менеджер")),
    ("department_head", ("начальник отдела",)),
    ("subscriber_head", ("начальник абонентского отдела",)),
    ("director", ("директор", "генеральный директор")),
    ("admin", ("администратор",)),
)
DEPARTMENTS: dict[str, str] = _loose((SUBSCRIBER_DEPARTMENT, ("абонентский", "абонентский отдел")))


def choice(table: dict[str, Any], value: Any, what_ru: str, what_en: str, allowed: str) -> Any:
    """Map a loosely written code (any case, Russian synonyms) to its stored form, or say what is allowed."""
    if value is None:
        return value
    found = table.get(loose_key(str(value)))
    if found is None:
        raise ValueError(
            f"{what_ru}: неизвестное значение «{value}», допустимо: {allowed} / unknown {what_en} {value!r}"
        )
    return found
