"""Russian titles for the codes stored in the database (roles, segments, channels, categories).

Shared by the web pages and the CLI: staff read the same words in both.
"""

from __future__ import annotations

from collections.abc import Mapping

import phonenumbers

from normalizer.classify import CATEGORY_KEYWORDS
from router.workflow import STAGE_TITLES_RU, Stage
from workers.channels.registry import channel_titles, shunt_stage_titles

ROLE_TITLES = {
    "operator": "Оператор колл-центра",
    "manager": "Персональный менеджер",
    "department_head": "Начальник отдела",
    "subscriber_head": "Начальник абонентского отдела",
    "admin": "Администратор",
    "director": "Генеральный директор",
}
SEGMENT_TITLES = {"individual": "Физическое лицо", "business": "Юридическое лицо"}
BUILDING_TITLES = {"apartment": "Многоквартирный дом", "private": "Частный дом", "office": "Офис"}
# Channels and their edge stages from the channel registry; "callback" is a way of answering, not a channel.
CHANNEL_TITLES = {**channel_titles(), "callback": "Обратный звонок"}
QUEUE_TITLES = {
    "subscriber": "Абонентский отдел",
    "call_center": "Колл-центр",
    "billing": "Отдел биллинга",
    "service": "Сервисный отдел",
    "technical": "Технический отдел",
    "management": "Руководство",
    "it": "ИТ-отдел",
}
CATEGORY_TITLES = {
    "billing": "Оплата и тарифы",
    "connection": "Качество связи",
    "service": "Подключение и обслуживание",
    "staff": "Работа сотрудников",
    "fax": "Факс (скан)",
    "contact": "Контакт клиента",
    "other": "Другое",
}
# The categories an operator may pick: the classifier's own names, so both sides agree.
CATEGORY_CHOICES: tuple[str, ...] = (*(name for name, _ in CATEGORY_KEYWORDS), "other")
SHUNT_STAGE_TITLES = {
    "normalize": "Нормализация",
    "route": "Маршрутизация",
    "relay": "Публикация",
    "deliver": "Доставка ответа",
    "attachments": "Загрузка вложений",
    "notify": "Уведомления сотрудникам",
    "sla": "Контроль сроков",
    **shunt_stage_titles(),
}
HISTORY_ACTION_TITLES = {
    "registered": "Регистрация",
    "primary_review": "Передана на первичную обработку",
    "follow_up": "Дополнение от клиента",
    "stage_changed": "Смена этапа",
    "assigned": "Назначение",
    "escalated": "Эскалация",
    "callback_done": "Обратный звонок выполнен",
    "reopened": "Возобновлена (оспаривание)",
    "auto_reply": "Автоответ клиента",
    "reply_bounced": "Ответ не доставлен",
    "reply_not_sent": "Ответ не отправлен",
    "reply_uncertain": "Неизвестно, доставлен ли ответ",
    # The review process (router.review.machine.ACTIONS)
    "assign": "Назначение менеджера",
    "acknowledge": "Подтверждение получения",
    "answer_unfounded": "Ответ: претензия необоснованна",
    "send_to_department": "Передана в отдел",
    "ask_client": "Вопрос клиенту",
    "client_replied": "Ответ клиента на вопрос",
    "redirect": "Передана в другой отдел",
    "conclude": "Выводы глубокой обработки",
    "propose": "Предложения менеджера",
    "decide": "Решение",
    "approve": "Решение согласовано",
    "send_back": "Решение возвращено на доработку",
    "approve_measures": "Меры к виновным согласованы",
    "inform": "Решение сообщено клиенту",
    "dispute": "Клиент оспаривает решение",
    "review_again": "Пересмотр",
    "uphold": "Решение оставлено в силе",
    "comment": "Внутренний комментарий",
    "write_to_client": "Сообщение клиенту",
    "reassign": "Передана другому менеджеру",
    "clock_paused": "Срок приостановлен",
    "clock_resumed": "Срок возобновлён",
    "sla_warning": "Предупреждение о сроке",
    "sla_breach": "Нарушение срока: эскалация",
    "scan_verified": "Отправитель скана подтверждён",
    "identity_claimed": "Личность не подтверждена",
    "identity_claim_refused": "Код не отправлен: слишком много попыток",
    "identity_code_sent": "Код подтверждения отправлен клиенту",
    "identity_code_not_sent": "Код подтверждения не отправлен",
    "identity_code_rejected": "Код подтверждения не принят",
    "identity_verified": "Личность подтверждена кодом из письма",
    "confirm_identity": "Личность подтверждена сотрудником",
    "reject_identity": "Личность не подтверждена: отклонено",
    "letter_sent": "Письмо отправлено по почте",
}
RECOMMENDATION_STATUS_TITLES = {"new": "Новая", "in_progress": "В работе", "done": "Выполнена"}
DELIVERY_STATUS_TITLES = {
    "sent": "Отправлено",
    "callback": "Обратный звонок",
    "failed": "Ошибка",
    "suppressed": "Не отправлено (лимит автоответов)",
    "not_sent": "Не отправлено (см. историю)",
    "uncertain": "Неизвестно, доставлено ли (проверьте вручную)",
    "sending": "Отправляется",
    "letter": "Письмо (почта)",
}
ATTACHMENT_STATUS_TITLES = {"fetched": "Получен", "failed": "Не получен", "refused": "Не загружался (чужой адрес)"}
SENT_MESSAGE_STATUS_TITLES = {"sent": "Отправлено", "failed": "Ошибка", "bounced": "Возврат (не доставлено)"}


def title(table: dict[str, str], code: str | None) -> str:
    """The Russian title of a code, or the code itself when the table does not know it."""
    if code is None:
        return "—"
    return table.get(code, code)


def phone_title(value: str | None) -> str:
    """A phone as staff read it: +7 916 123-45-67 (the stored value when it is not a number)."""
    if not value:
        return "—"
    try:
        number = phonenumbers.parse(value, "RU")
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def actor_title(actor: str | None, names: Mapping[str, str]) -> str:
    """Who wrote a history row, never as a raw code: a staff member's full name, the client, a channel."""
    if not actor:
        return "—"
    if actor in names:
        return names[actor]
    if actor == "client":
        return "Клиент"
    if actor == "sla":
        return "Контроль сроков"
    kind, sep, code = actor.partition(":")
    if sep and kind == "channel":
        return f"Канал «{title(CHANNEL_TITLES, code)}»"
    if sep:
        return "Система"
    return "Сотрудник"


def stage_title(code: str | None) -> str:
    if code is None:
        return "—"
    try:
        return STAGE_TITLES_RU[Stage(code)]
    except ValueError:
        return code
