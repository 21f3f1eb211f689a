"""What the client reads (Russian)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from router.calendar import Deadlines


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


SIGNATURE = "С уважением, служба качества."


def _letter(name: str | None, body: str) -> str:
    """Every message to a client: a greeting by name when known, the body, the signature."""
    greeting = f"Здравствуйте, {name}!" if name else "Здравствуйте!"
    return f"{greeting}\n\n{body}\n{SIGNATURE}"


def acknowledgement(
    number: str, deadlines: Deadlines, tz: ZoneInfo, name: str | None, ask_contract: bool = False
) -> str:
    who = "Персональный менеджер" if not ask_contract else "Специалист абонентского отдела"
    ask = (
        "Мы не нашли ваш договор по этому аккаунту. Пожалуйста, пришлите номер договора "
        "(или номер телефона, на который он оформлен) — тогда претензию получит ваш персональный менеджер.\n\n"
        if ask_contract else ""
    )
    return _letter(name, (
        f"Ваша претензия зарегистрирована под номером {number}.\n"
        f"{who} свяжется с вами не позднее {_local(deadlines.first_response, tz)} "
        f"(8 рабочих часов).\n"
        f"Срок рассмотрения претензии — 5 рабочих дней, до {_local(deadlines.resolution, tz)}.\n\n"
        f"{ask}"
        f"При ответе, пожалуйста, указывайте номер {number}."
    ))


def follow_up_received(number: str, name: str | None) -> str:
    return _letter(name, f"Ваше сообщение добавлено к претензии {number} и передано персональному менеджеру.")


def identity_linked_received(number: str, name: str | None) -> str:
    return _letter(name, f"Спасибо, мы нашли ваш договор. Претензия {number} передана вашему персональному менеджеру.")


def reopened_received(number: str, name: str | None) -> str:
    return _letter(name, f"Ваше сообщение добавлено к претензии {number}. Претензия открыта повторно для "
                         f"пересмотра решения и передана персональному менеджеру.")


# What staff read in the ticket history and in alerts (Russian too).


def reopened_note(window_days: int) -> str:
    return (f"Претензия открыта повторно: клиент ответил в течение {window_days} дн. после закрытия "
            f"(оспаривание решения)")


def reply_bounced_note(reason: str) -> str:
    return f"Ответ клиенту не доставлен (возврат письма): {reason}"


def reply_bounced_alert(number: str, address: str, reason: str) -> str:
    return f"Ответ клиенту не доставлен: претензия {number}, адрес {address}. {reason}"


def auto_reply_note(subject: str | None) -> str:
    return f"Получен автоответ клиента{': ' + subject if subject else ''}; ответ на него не отправляется"


def identity_linked_note(client_name: str, assignment_note: str) -> str:
    return f"Аккаунт в чате привязан к клиенту {client_name} по номеру договора или телефона. {assignment_note}"
