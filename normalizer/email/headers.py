"""Unstructured header values (Subject, display names) to text: RFC 2047 words, raw 8-bit, bad labels.

policy.default turns a raw 8-bit Subject or an encoded word in an unknown charset (`win-1251`) into
U+FFFD, so these are decoded here from the raw value. Adjacent encoded words are joined before
decoding: mailers split a multi-byte character across two words.
"""

from __future__ import annotations

import base64
import binascii
import re
import weakref
from collections.abc import Mapping
from email.message import Message

from normalizer.email.charset import decode_bytes, fix_surrogates

_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n[ \t]*")
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")


def raw_header(msg: Message, name: str) -> list[str]:
    """Every raw value of a header, unparsed (8-bit bytes kept as surrogate escapes)."""
    return list(_raw_index(msg).get(name.lower(), ()))


def raw_headers(msg: Message) -> Mapping[str, list[str]]:
    """raw_header of every header at once, by lower-cased name: to read, not to keep (it is the message's
    index, rebuilt when the message changes)."""
    return _raw_index(msg)


# The raw values by lower-cased name, built once per message (a mail's headers are read a dozen times).
# Kept with the header list it was built from: a message whose headers were changed since is indexed again.
_INDEXES: weakref.WeakKeyDictionary[Message, tuple[list[tuple[str, str]], dict[str, list[str]]]] = (
    weakref.WeakKeyDictionary())


def _raw_index(msg: Message) -> dict[str, list[str]]:
    items = list(msg.raw_items())
    cached = _INDEXES.get(msg)
    if cached is not None and cached[0] == items:
        return cached[1]
    index: dict[str, list[str]] = {}
    for key, value in items:
        index.setdefault(key.lower(), []).append(value)
    _INDEXES[msg] = (items, index)
    return index


def unfold(value: str) -> str:
    return _FOLD.sub(" ", value).strip()


def decode_header_text(value: str) -> str:
    """A raw unstructured header value to text."""
    text = fix_surrogates(unfold(value))
    if "=?" not in text:
        return text
    pieces: list[str] = []
    pending: list[tuple[str, bytes]] = []  # adjacent encoded words: (charset, bytes)
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        if between and not (pending and between.isspace()):
            _flush(pending, pieces)
            pieces.append(between)
        charset, encoding, payload = match.groups()
        data = _decode_word(encoding, payload)
        if pending and pending[-1][0] == charset.lower():
            pending[-1] = (pending[-1][0], pending[-1][1] + data)
        else:
            pending.append((charset.lower(), data))
        position = match.end()
    _flush(pending, pieces)
    pieces.append(text[position:])
    return "".join(pieces)


def _decode_word(encoding: str, payload: str) -> bytes:
    if encoding in "bB":
        raw = payload.encode("ascii", "replace")
        try:
            return base64.b64decode(raw + b"=" * (-len(raw) % 4))
        except (binascii.Error, ValueError):
            return raw
    raw = payload.replace("_", " ").encode("ascii", "replace")
    return _Q_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def _flush(pending: list[tuple[str, bytes]], pieces: list[str]) -> None:
    pieces.extend(decode_bytes(data, charset) for charset, data in pending)
    pending.clear()
