"""The patterns rewritten to begin with a literal or a class (so the regex engine's fast scan applies) find
exactly what their readable forms found: the same matches, spans and groups (issue 12, email CPU)."""

from __future__ import annotations

import random
import re

import pytest

from normalizer.config import DEFAULT_ACCOUNT_PATTERN, DEFAULT_CONTRACT_PATTERN
from normalizer.phones import _CANDIDATE
from normalizer.references import TICKET_NUMBER

READABLE = [
    (DEFAULT_CONTRACT_PATTERN,
     re.compile(r"(?=[дc])(?:договор\w*|contract)\s*(?:№|N|#|no\.?)?\s*(\d{2}-\d{6})", re.I)),
    (DEFAULT_ACCOUNT_PATTERN,
     re.compile(r"(?=[лa])(?:лицев\w*\s+сч[её]т\w*|л/с|ЛС|account)\s*(?:№|N|#)?\s*(\d{8,12})", re.I)),
    (TICKET_NUMBER, re.compile(r"\bC-(\d{4})-(\d{6})\b")),
    (_CANDIDATE, re.compile(r"\+?[\d(][\d \t().\-\u2010-\u2015]{5,24}\d")),
]
PIECES = ["договор", "Договора", "ДОГОВОР", "ᲁоговор", "contract", "Contract", "CONTRACT", "лицевой счёт",
          "Лицевого счета", "л/с", "Л/С", "ЛС", "лс", "account", "Account", "№", "N", "#", "no.", "No", " ", "  ",
          "\n", "12-345678", "1234567890", "123456789012", "C-2026-000123", "xC-2026-000123", "C-2026-0001234",
          "+7 (916) 123-45-67", "8 916 123 45 67", "++7", "+(", "(", ")", "-", "\u2011", "\u2012", ".", "ё", "е",
          "т", "а", "x", "_", "7", "0", "Прошу", "по", "счет", "сч", "ет", "ицев", "C", "c", "-", "+"]


@pytest.mark.parametrize(("fast", "readable"), READABLE, ids=["contract", "account", "ticket", "phone"])
def test_fast_scan_pattern_finds_what_the_readable_one_found(fast: re.Pattern[str], readable: re.Pattern[str]) -> None:
    rng = random.Random(12)
    found = 0
    for _ in range(20_000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
        expected = [(m.span(), m.groups()) for m in readable.finditer(text)]
        assert [(m.span(), m.groups()) for m in fast.finditer(text)] == expected, text
        found += len(expected)
    assert found > 200  # the texts do contain what is searched for
