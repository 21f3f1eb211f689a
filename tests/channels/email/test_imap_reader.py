"""The intake's IMAP reader (channels.email.imap._NewsProtocol, _FetchCommand) hands on exactly what
aioimaplib's own reader does, however the server's bytes are split into chunks."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import aioimaplib

from channels.email.imap import _FetchCommand, _NewsProtocol, parse_fetch

TAG = "ABCD1"


def _mail(i: int) -> bytes:
    body = (f"Subject: письмо {i} (со скобкой\r\n\r\nТекст ) {{{i}}}\r\n" + "строка\r\n" * (i % 7)).encode()
    return body


def fetch_answer(count: int, tag: str = TAG) -> bytes:
    """A UID FETCH answer as dovecot sends it: literals (with CRLF, parentheses and `{n}` inside), an
    unsolicited flag change, a message without body, then the tagged status."""
    chunks: list[bytes] = []
    for i in range(1, count + 1):
        data = _mail(i)
        chunks.append(b"* %d FETCH (UID %d FLAGS (\\Recent) INTERNALDATE \"01-Dec-2026 10:00:00 +0300\" "
                      b"BODY[] {%d}\r\n" % (i, 100 + i, len(data)) + data + b")\r\n")
        if i == 2:
            chunks.append(b"* 7 FETCH (FLAGS (\\Seen))\r\n")
            chunks.append(b"* 3 EXISTS\r\n")
    chunks.append(b"* 9 FETCH (UID 999 BODY[] NIL)\r\n")
    chunks.append(f"{tag} OK Fetch completed (0.001 + 0.000 secs).\r\n".encode())
    return b"".join(chunks)


def _feed(protocol: aioimaplib.IMAP4ClientProtocol, data: bytes, rng: random.Random | None) -> None:
    position = 0
    while position < len(data):
        size = rng.choice([1, 2, 3, 7, 64, 500, 4096]) if rng else len(data)
        protocol.data_received(data[position:position + size])
        position += size


def _run(protocol_class: type[aioimaplib.IMAP4ClientProtocol], command_class: type[Any], data: bytes,
         rng: random.Random | None) -> tuple[Any, list[Any], bool, bytes]:
    loop = asyncio.get_running_loop()
    protocol = protocol_class(loop)
    protocol.state = aioimaplib.SELECTED
    command = command_class(TAG, "1:*", "(UID FLAGS BODY.PEEK[])", prefix="UID", loop=loop, timeout=30)
    protocol.pending_async_commands[command.untagged_resp_name] = command
    _feed(protocol, data, rng)
    response = command.response
    return response.result, [bytes(line) for line in response.lines], protocol.current_command is None, \
        protocol.incomplete_line


async def test_same_lines_and_literals_as_aioimaplib_in_any_chunking() -> None:
    data = fetch_answer(12)
    expected = _run(aioimaplib.IMAP4ClientProtocol, aioimaplib.FetchCommand, data, None)
    assert expected[0] == "OK" and len(expected[1]) > 30
    for seed in range(40):
        assert _run(_NewsProtocol, _FetchCommand, data, random.Random(seed)) == expected, seed
        assert _run(aioimaplib.IMAP4ClientProtocol, aioimaplib.FetchCommand, data, random.Random(seed)) == expected


async def test_parsed_mails_match() -> None:
    data = fetch_answer(5)
    _, lines, _, _ = _run(_NewsProtocol, _FetchCommand, data, random.Random(3))
    mails = parse_fetch([bytearray(line) if line.startswith(b"Subject") else line for line in lines])
    assert sorted(mails) == [101, 102, 103, 104, 105, 999]
    assert mails[103].data == _mail(3)
    assert mails[999].data is None and mails[999].problem


async def test_a_chunk_cut_inside_a_line_or_literal_waits_for_the_rest() -> None:
    data = fetch_answer(2)
    cut = data.index(b"BODY[]") + 3
    ours, theirs = _NewsProtocol(asyncio.get_running_loop()), aioimaplib.IMAP4ClientProtocol(asyncio.get_running_loop())
    for protocol, command_class in ((ours, _FetchCommand), (theirs, aioimaplib.FetchCommand)):
        protocol.state = aioimaplib.SELECTED
        command = command_class(TAG, "1:*", "(BODY[])", prefix="UID", loop=asyncio.get_running_loop(), timeout=30)
        protocol.pending_async_commands[command.untagged_resp_name] = command
        protocol.data_received(data[:cut])
        assert protocol.incomplete_line == data[:cut]
        literal_start = data.index(b"}\r\n") + 3
        protocol.data_received(data[cut:literal_start + 5])
        assert protocol.current_command is command and protocol.incomplete_line == b""
        assert command.wait_literal_data()


async def test_the_inactivity_timeout_still_fires() -> None:
    loop = asyncio.get_running_loop()
    command = _FetchCommand(TAG, "1:*", "(BODY[])", prefix="UID", loop=loop, timeout=0.05)
    await asyncio.sleep(0.03)
    command.append_to_resp(b"1 FETCH (UID 1")  # activity: the deadline moves
    await asyncio.sleep(0.03)
    assert not command._event.is_set()
    await asyncio.sleep(0.06)
    assert command._event.is_set() and isinstance(command._exception, aioimaplib.CommandTimeout)
