"""What the client reads (Russian)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from router.calendar import Deadlines


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def acknowledgement(number: str, deadlines: Deadlines, tz: ZoneInfo, name: str | None) -> str:
    greeting = f"Здравствуйте, {name}!" if name else "Здравствуйте!"
    return (
        f"{greeting}\n\n"
        f"Ваша претензия зарегистрирована под номером {number}.\n"
        f"Персональный менеджер свяжется с вами не позднее {_local(deadlines.first_response, tz)} "
        f"(8 рабочих часов).\n"
        f"Срок рассмотрения претензии — 5 рабочих дней, до {_local(deadlines.resolution, tz)}.\n\n"
        f"При ответе, пожалуйста, указывайте номер {number}.\n"
        f"С уважением, служба качества."
    )


def follow_up_received(number: str, name: str | None) -> str:
    greeting = f"Здравствуйте, {name}!" if name else "Здравствуйте!"
    return (
        f"{greeting}\n\n"
        f"Ваше сообщение добавлено к претензии {number} и передано персональному менеджеру.\n"
        f"С уважением, служба качества."
    )
