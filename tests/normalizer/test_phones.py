"""Phone numbers found in free text, as Russian clients write them."""

from __future__ import annotations

import pytest

from normalizer.phones import phones_in_text


@pytest.mark.parametrize(("text", "expected"), [
    ("Мой телефон +7 916 123-45-67, звоните.", ["+79161234567"]),
    ("тел.89161234567", ["+79161234567"]),
    ("Позвоните: 8 (916) 123 45 67 или +7(495)123-45-67", ["+79161234567", "+74951234567"]),
    ("дом 5 8-916-123-45-67", ["+79161234567"]),
    ("Телефоны 89161234567 89037654321", ["+79161234567", "+79037654321"]),
    ("Договор № 12-345678 от 23.11.2026, сумма 1500 руб.", []),
    ("Номер +7 916 123-45-67 повторяю: +7 916 123-45-67", ["+79161234567"]),
    ("Без номеров вообще", []),
])
def test_phones_in_text(text: str, expected: list[str]) -> None:
    assert phones_in_text(text) == expected
