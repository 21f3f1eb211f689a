"""Pydantic validation errors as sentences a person understands, in Russian and English.

Input values are never echoed back: they may be personal data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# (Russian in the genitive-free "поле «…»" form, English)
FIELD_TITLES: dict[str, tuple[str, str]] = {
    "text": ("текст претензии", "complaint text"),
    "subject": ("тема", "subject"),
    "contract_number": ("номер договора", "contract number"),
    "account_number": ("лицевой счёт", "account number"),
    "phone": ("телефон", "phone"),
    "email": ("e-mail", "e-mail"),
    "name": ("имя", "name"),
    "category": ("категория", "category"),
    "caller_phone": ("телефон звонящего", "caller's phone"),
    "caller_name": ("имя звонящего", "caller's name"),
    "client_id": ("клиент", "client"),
    "limit": ("limit", "limit"),
    "offset": ("offset", "offset"),
    "status": ("status", "status"),
    "client": ("client", "client"),
}


@dataclass(frozen=True)
class FieldMessage:
    field: str | None
    ru: str
    en: str

    def as_json(self) -> dict[str, str | None]:
        return {"field": self.field, "message": self.ru, "message_en": self.en}


def _field(loc: Sequence[Any]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def _titles(field: str | None) -> tuple[str, str]:
    if field is None:
        return ("запрос", "request")
    return FIELD_TITLES.get(field, (field, field))


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return (text[:1].upper() + text[1:] + ".") if text else ""


def _value_error(msg: str) -> tuple[str, str]:
    """A validator's own message: "ru / en" by convention in channels/, else the message as it is."""
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    ru, sep, en = msg.partition(" / ")
    if sep:
        return _sentence(ru), _sentence(en)
    return _sentence(msg), _sentence(msg)


def describe(error: Mapping[str, Any]) -> FieldMessage:
    kind: str = error.get("type", "")
    field = _field(error.get("loc", ()))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    ru_name, en_name = _titles(field)
    if field is None and kind == "missing":
        return FieldMessage(None, "Тело запроса пусто: ожидается JSON-объект с текстом претензии.",
                            "The request body is empty: a JSON object with the complaint text is expected.")
    if kind == "json_invalid":
        return FieldMessage(None, "Тело запроса не является корректным JSON.", "The request body is not valid JSON.")
    if field is None and kind in ("model_type", "model_attributes_type", "dict_type"):
        return FieldMessage(None, "Тело запроса должно быть JSON-объектом.", "The request body must be a JSON object.")
    if kind == "missing":
        if field == "text":
            return FieldMessage(field, "Не указан текст претензии (поле «text»).",
                                "The complaint text is missing (field 'text').")
        return FieldMessage(field, f"Не заполнено обязательное поле «{ru_name}».",
                            f"The required field '{en_name}' is missing.")
    if kind == "string_too_short":
        if field == "text":
            return FieldMessage(field, "Текст претензии пуст.", "The complaint text is empty.")
        return FieldMessage(field, f"Поле «{ru_name}» не может быть пустым.",
                            f"The field '{en_name}' must not be empty.")
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        return FieldMessage(field, f"Поле «{ru_name}» слишком длинное: не более {limit} символов.",
                            f"The field '{en_name}' is too long: at most {limit} characters.")
    if kind == "extra_forbidden":
        return FieldMessage(field, f"Неизвестное поле «{field}».", f"Unknown field '{field}'.")
    if kind == "value_error" and field == "email":
        return FieldMessage(field, "Некорректный адрес электронной почты.", "The e-mail address is not valid.")
    if kind in ("value_error", "assertion_error"):
        ru, en = _value_error(str(error.get("msg", "")))
        return FieldMessage(field, ru, en)
    if kind in ("string_type", "str_type"):
        return FieldMessage(field, f"Поле «{ru_name}» должно быть строкой.", f"The field '{en_name}' must be a string.")
    if kind.startswith("int_") or kind == "int_type":
        return FieldMessage(field, f"Поле «{ru_name}» должно быть целым числом.",
                            f"The field '{en_name}' must be an integer.")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(ctx.values()), "")
        relation = {"greater_than_equal": ("не меньше", "at least"), "greater_than": ("больше", "greater than"),
                    "less_than_equal": ("не больше", "at most"), "less_than": ("меньше", "less than")}[kind]
        return FieldMessage(field, f"Поле «{ru_name}» должно быть {relation[0]} {bound}.",
                            f"The field '{en_name}' must be {relation[1]} {bound}.")
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        return FieldMessage(field, f"Недопустимое значение поля «{ru_name}»; допустимо: {expected}.",
                            f"The field '{en_name}' has a value that is not allowed; expected {expected}.")
    return FieldMessage(field, f"Некорректное значение поля «{ru_name}».",
                        f"The field '{en_name}' is not valid: {_sentence(str(error.get('msg', '')))}")


def describe_all(errors: Iterable[Mapping[str, Any]]) -> list[FieldMessage]:
    found: list[FieldMessage] = []
    for error in errors:
        message = describe(error)
        if message not in found:
            found.append(message)
    return found


def summary(
    messages: Sequence[FieldMessage],
    lead_ru: str = "Запрос не принят.",
    lead_en: str = "The request was rejected.",
) -> tuple[str, str]:
    """One Russian and one English text for the whole request: the lead, then every problem."""
    if not messages:
        return f"{lead_ru} Данные некорректны.", f"{lead_en} The data is not valid."
    return f"{lead_ru} " + " ".join(m.ru for m in messages), f"{lead_en} " + " ".join(m.en for m in messages)
