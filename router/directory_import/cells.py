"""Parsers for single cells, shared by the client and staff row validators; they raise ValueError with the
Russian / English text the report shows."""

from __future__ import annotations

import re
from typing import Any

from pydantic.networks import validate_email
from pydantic_core import PydanticCustomError

_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_TRUE = frozenset({"true", "1", "yes", "y", "да", "д", "+"})
_FALSE = frozenset({"false", "0", "no", "n", "нет", "н", "-"})


def check_login(value: Any, column: str) -> Any:
    """A staff login as written; anything but a string is left to the field's own type check."""
    if not isinstance(value, str):
        return value
    if not _LOGIN.match(value):
        raise ValueError(
            f"логин «{value}» недопустим: латинские буквы, цифры, точка, дефис, подчёркивание / "
            f"invalid {column} {value!r}: use latin letters, digits, '.', '-', '_'"
        )
    return value


def email_address(value: str) -> str:
    lowered = value.strip().lower()
    try:
        _, address = validate_email(lowered)
    except PydanticCustomError as exc:
        raise ValueError(f"e-mail «{value}» некорректен / invalid e-mail {value!r}: {exc.message()}") from exc
    return address.lower()


def numeric_id(value: str | None, what: str, prefixes: tuple[str, ...], example: str) -> str | None:
    """A numeric platform id, with a profile-link prefix removed and leading zeros dropped."""
    if value is None:
        return None
    cleaned = value.strip()
    for prefix in prefixes:
        if cleaned.casefold().startswith(prefix):
            cleaned = cleaned[len(prefix):]
            break
    if not cleaned.isdigit() or not cleaned.isascii():
        raise ValueError(
            f"{what} должен быть числом (например {example}), «{value}» не подходит / "
            f"{what} must be numeric (e.g. {example}), got {value!r}"
        )
    return cleaned.lstrip("0") or "0"


def flag(value: Any) -> Any:
    """A yes/no cell; empty means yes."""
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(
        f"значение «{value}» не распознано: true/false, 1/0, да/нет / "
        f"expected true/false, 1/0, да/нет, got {value!r}"
    )
