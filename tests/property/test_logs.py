"""Properties of the log masking (workers/app/logs.py): a phone number or e-mail address written any usual way
never reaches the log whole; ticket numbers, UUIDs, dates stay readable; masking is idempotent."""

from __future__ import annotations

import logging
import re
import uuid

from hypothesis import given
from hypothesis import strategies as st

from tests.property.strategies import addresses, hostile_text
from tests.property.test_phones import written_numbers
from workers.app.logs import MaskingFilter, mask

# Text around the secrets: letters and punctuation, no digits (so any digit run in the output came from them).
around = st.text(alphabet="абвгд ежзabcxyz.,:;!?()\"'=", max_size=30)
ticket = st.builds(lambda year, seq: f"C-{year:04d}-{seq:06d}", st.integers(2000, 2099), st.integers(0, 999_999))


def digit_runs(text: str) -> list[str]:
    return re.findall(r"\d+", text)


@given(written_numbers(), around, around)
def test_a_phone_number_never_reaches_the_log(pair: tuple[str, str], before: str, after: str) -> None:
    e164, written = pair
    masked = mask(f"{before} {written} {after}")
    assert written not in masked
    middle = e164[2:-2]  # what identifies the subscriber: everything but the country code and the last two
    assert middle not in "".join(digit_runs(masked))
    assert sum(len(run) for run in digit_runs(masked)) <= 3


@given(addresses, around, around)
def test_an_email_address_never_reaches_the_log(address: str, before: str, after: str) -> None:
    masked = mask(f"{before} {address} {after}")
    local, _, domain = address.partition("@")
    assert address not in masked
    if len(local) > 1:
        assert f"{local}@" not in masked
    assert domain in masked  # the domain is kept: it tells the staff which provider


@given(st.lists(st.one_of(ticket, st.uuids().map(str), st.sampled_from(["2026-12-03T10:15:00", "03.12.2026 16:35",
                                                                      "127.0.0.1:4222", "10.0.0.1"])),
                min_size=1, max_size=4), around)
def test_ticket_numbers_uuids_dates_and_addresses_stay(kept: list[str], glue: str) -> None:
    text = " ".join(f"{glue} {item}" for item in kept)
    masked = mask(text)
    for item in kept:
        assert item in masked


@given(st.one_of(hostile_text, st.text(max_size=300)))
def test_mask_is_idempotent_and_never_raises(text: str) -> None:
    once = mask(text)
    assert mask(once) == once


@given(written_numbers(), addresses, st.sampled_from(["token", "access_key", "secret", "password"]),
       st.text(alphabet="abcdefXYZ0123456789", min_size=8, max_size=20))
def test_masking_filter_masks_arguments_and_secrets(pair: tuple[str, str], address: str, name: str,
                                                     secret: str) -> None:
    _, written = pair
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "from %s <%s> %s", (written, address,
                               f"https://api.example.ru/x?{name}={secret}&id={uuid.uuid4()}"), None)
    MaskingFilter().filter(record)
    message = record.getMessage()
    assert written not in message and address not in message and f"={secret}" not in message
