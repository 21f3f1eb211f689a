"""Properties of the phone parser (normalizer/phones.py): E.164 or None, idempotent, formats round-trip."""

from __future__ import annotations

import re

import phonenumbers
from hypothesis import assume, given
from hypothesis import strategies as st

from normalizer.invisible import strip_invisible
from normalizer.phones import phones_in_text, to_e164
from tests.property.strategies import INVISIBLE, hostile_text

E164 = re.compile(r"\+[1-9]\d{6,14}")
FORMATS = (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
           phonenumbers.PhoneNumberFormat.NATIONAL)


@st.composite
def russian_numbers(draw: st.DrawFn) -> str:
    """A valid Russian number (mobile or Moscow), E.164."""
    national = draw(st.from_regex(r"\A(9\d{2}|495|499|812)\d{7}\Z"))
    number = phonenumbers.parse("+7" + national)
    assume(phonenumbers.is_valid_number(number))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def with_invisible(draw: st.DrawFn, text: str) -> str:
    """`text` with zero-width and bidi characters put between its characters."""
    out = []
    for char in text:
        out.append(char)
        if draw(st.booleans()):
            out.append(draw(st.sampled_from(INVISIBLE)))
    return "".join(out)


@st.composite
def written_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(E.164, the number as a person writes it: 8-prefix, brackets, dashes, spaces, invisible characters)."""
    e164 = draw(russian_numbers())
    digits = e164[2:]
    style = draw(st.sampled_from(["library", "eight", "brackets", "plain7", "dashed"]))
    if style == "library":
        written = phonenumbers.format_number(phonenumbers.parse(e164), draw(st.sampled_from(FORMATS)))
    elif style == "eight":
        written = f"8{digits}"
    elif style == "brackets":
        written = f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
    elif style == "plain7":
        written = f"+7 {digits[:3]} {digits[3:6]} {digits[6:]}"
    else:
        written = f"+7-{digits[:3]}-{digits[3:6]}-{digits[6:8]}-{digits[8:]}"
    if draw(st.booleans()):
        written = with_invisible(draw, written)
    return e164, written


@given(hostile_text)
def test_to_e164_is_e164_or_none(value: str) -> None:
    found = to_e164(value)
    assert found is None or E164.fullmatch(found), found


@given(st.one_of(hostile_text, written_numbers().map(lambda pair: pair[1])))
def test_to_e164_is_idempotent(value: str) -> None:
    found = to_e164(value)
    if found is not None:
        assert to_e164(found) == found


@given(written_numbers())
def test_written_number_round_trips(pair: tuple[str, str]) -> None:
    e164, written = pair
    assert to_e164(written) == e164


@given(written_numbers(), st.text(alphabet="абвгд еёжз.,!?", max_size=30), st.text(alphabet="абвгд еёжз.,!?",
                                                                                   max_size=30))
def test_number_in_text_is_found(pair: tuple[str, str], before: str, after: str) -> None:
    e164, written = pair
    assert e164 in phones_in_text(f"{before} тел. {written} {after}")


@given(st.text(max_size=300))
def test_phones_in_text_are_valid_and_unique(text: str) -> None:
    found = phones_in_text(text)
    assert len(found) == len(set(found))
    for e164 in found:
        assert E164.fullmatch(e164) and to_e164(e164) == e164


@given(st.text(max_size=200))
def test_invisible_characters_never_change_what_is_found(text: str) -> None:
    assert phones_in_text(text) == phones_in_text(strip_invisible(text))
