"""Properties of the ticket-number and contract-number readers (normalizer/references.py, identities)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from normalizer.config import DEFAULT_ACCOUNT_PATTERN, DEFAULT_CONTRACT_PATTERN
from normalizer.identities import numbers_in_text
from normalizer.references import TICKET_NUMBER, ticket_numbers
from tests.property.strategies import hostile_text

ticket = st.builds(lambda year, seq: f"C-{year:04d}-{seq:06d}", st.integers(2000, 2099), st.integers(0, 999_999))
separator = st.sampled_from([" ", "\n", ", ", " (", "№ ", "[", "]: ", "\t"])


@given(hostile_text)
def test_found_ticket_numbers_are_well_formed_and_in_the_text(text: str) -> None:
    for number in ticket_numbers(text):
        assert TICKET_NUMBER.fullmatch(number) and number in text


@given(st.lists(ticket, min_size=1, max_size=5), st.lists(separator, min_size=6, max_size=6),
       st.text(alphabet="абвгд ежз", max_size=20))
def test_ticket_numbers_round_trip(numbers: list[str], seps: list[str], words: str) -> None:
    text = words + "".join(sep + number for sep, number in zip(seps, numbers, strict=False)) + seps[-1]
    assert ticket_numbers(text) == numbers


@given(ticket, st.sampled_from(["x", "1", "_", "C"]))
def test_a_number_glued_to_a_word_is_not_a_reference(number: str, glue: str) -> None:
    assert ticket_numbers(f"{glue}{number}") == []
    assert ticket_numbers(f"{number}{glue}") == []


@given(st.from_regex(r"\A\d{2}-\d{6}\Z"), st.sampled_from(["договор", "Договор №", "договору N", "contract #",
                                                          "CONTRACT no."]))
def test_contract_number_round_trips(number: str, keyword: str) -> None:
    assert numbers_in_text(DEFAULT_CONTRACT_PATTERN, f"Прошу проверить {keyword} {number}.") == [number]


@given(st.from_regex(r"\A\d{8,12}\Z"), st.sampled_from(["лицевой счёт", "л/с", "ЛС №", "account"]))
def test_account_number_round_trips(number: str, keyword: str) -> None:
    assert numbers_in_text(DEFAULT_ACCOUNT_PATTERN, f"{keyword} {number} ") == [number]


@given(hostile_text)
def test_configured_patterns_never_raise(text: str) -> None:
    for pattern in (DEFAULT_CONTRACT_PATTERN, DEFAULT_ACCOUNT_PATTERN, re.compile(r"(\d+)")):
        for number in numbers_in_text(pattern, text):
            assert number in text
