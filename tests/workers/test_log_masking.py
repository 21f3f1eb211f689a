"""Personal data and secrets are masked in every log record, through the real logging set-up (issue 12,
finding 8): attachment URL secrets, Cyrillic and IDN e-mails, phones written with spaces and brackets; ticket
numbers, UUIDs, IP addresses and dates are left as they are."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from workers.app.logs import setup_logging


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    setup_logging("INFO")
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    try:
        yield logging.getLogger("complaints.test"), stream
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def output(logged: tuple[logging.Logger, io.StringIO], message: str, *args: object) -> str:
    logger, stream = logged
    stream.seek(0)
    stream.truncate()
    logger.info(message, *args)
    return stream.getvalue()


def test_attachment_url_secrets_are_masked(logged: tuple[logging.Logger, io.StringIO]) -> None:
    line = output(logged, "vk: fetching %s and %s",
                  "https://vk.com/doc187654321_671234567?hash=9f8e7d6c5b4a&dl=GQ3TA:1700000000&api=1",
                  "https://psv4.userapi.com/c1/u1/audiomsg/d1/abc.ogg?access_key=KEY_0a1b2c3d&sign=s1gn4tur3"
                  "&token=t0k3n&sig=5160&signature=zzz&key=k&secret=s&password=p&quality=95")

    for secret in ("9f8e7d6c5b4a", "KEY_0a1b2c3d", "s1gn4tur3", "t0k3n", "=5160", "=zzz", "=k&", "=s&", "=p&"):
        assert secret not in line, secret
    assert "hash=***" in line and "access_key=***" in line and "signature=***" in line
    # The rest of the URL stays readable.
    assert "https://vk.com/doc187654321_671234567?" in line and "&dl=GQ3TA:" in line and "&api=1 " in line
    assert "quality=95" in line


@pytest.mark.parametrize(("email", "shown"), [
    ("иван@почта.рф", "и***@почта.рф"),
    ("ivan.petrov@пример.рф", "i***@пример.рф"),
    ("Анна.Смирнова@mail.ru", "А***@mail.ru"),
    ("ivan@xn--80ak6aa92e.xn--p1ai", "i***@xn--80ak6aa92e.xn--p1ai"),
    ("T.Kuznetsova@Mail.Example", "T***@Mail.Example"),
])
def test_emails_are_masked_in_any_script(logged: tuple[logging.Logger, io.StringIO], email: str,
                                          shown: str) -> None:
    line = output(logged, "mail from %s accepted", email)

    assert email not in line and f"mail from {shown} accepted" in line


@pytest.mark.parametrize("phone", [
    "+7 (916) 123 - 45 - 67", "+7 916 123-45-67", "8 (916) 123-45-67", "89161234567", "+79161234567",
    "8-916-123-45-67", "+7 (916) 123 45 67",
])
def test_phones_are_masked_whatever_the_separators(logged: tuple[logging.Logger, io.StringIO], phone: str) -> None:
    line = output(logged, "caller %s asked for a call back", phone)
    message = line[line.index("caller "):]  # not the time and pid in front of it: they may hold "45" too

    assert "916" not in message and "123" not in message and "45" not in message
    assert "***67 asked for a call back" in message


def test_ticket_numbers_uuids_ips_and_dates_are_left_intact(logged: tuple[logging.Logger, io.StringIO]) -> None:
    kept = ("C-2026-000123", "0b7d2a9e-52f4-4c61-8d0e-0c0ffee00002", "192.168.100.200", "10.0.0.1:4222",
            "2026-12-03 16:35:29", "03.12.2026 16:35", "217.20.145.193")
    line = output(logged, "ticket %s submission %s from %s via %s at %s (%s), forwarded by %s", *kept)

    for value in kept:
        assert value in line, value
    assert "at 16:35:29 03.12.2026 16:35:29 call" in output(logged, "at 16:35:29 03.12.2026 16:35:29 call")


def test_pairs_and_tracebacks_are_masked(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    try:
        raise RuntimeError("GET https://api.example/x?access_key=leaked1 for иван@почта.рф")
    except RuntimeError:
        logger.exception("failed with token=leaked2 and {'password': 'leaked3'}")
    text = stream.getvalue()

    assert "leaked" not in text and "иван@" not in text
    assert "access_key=***" in text and "token=***" in text
