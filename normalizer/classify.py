"""Step: a first guess at the category and the client's demands, from keywords.

Staff confirm or correct it during primary review; a channel-supplied category wins.
"""

from __future__ import annotations

from normalizer.draft import Draft, add_unique

CATEGORY_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("billing", ("списа", "счёт", "счет ", "оплат", "тариф", "деньги", "баланс", "абонентск")),
    ("connection", ("нет интернет", "не работает", "обрыв", "скорост", "пропада", "связь", "роутер")),
    ("service", ("мастер", "монтаж", "подключени", "не приш", "заявк")),
    ("staff", ("груб", "хамств", "оператор", "сотрудник", "менеджер")),
)
DEMAND_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("recalculation", ("перерасчёт", "перерасчет", "пересчита")),
    ("refund", ("верните", "вернуть деньги", "возврат")),
    ("repair", ("почините", "устраните", "восстановите")),
    ("termination", ("расторг", "отключите меня")),
)


def _matches(text: str, table: tuple[tuple[str, tuple[str, ...]], ...]) -> list[str]:
    return [name for name, words in table if any(w in text for w in words)]


def classify(draft: Draft) -> None:
    text = f"{draft.subject or ''} {draft.text}".casefold()
    if not draft.category:
        found = _matches(text, CATEGORY_KEYWORDS)
        draft.category = found[0] if found else "other"
    for demand in _matches(text, DEMAND_KEYWORDS):
        add_unique(draft.demands, demand)
