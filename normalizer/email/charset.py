"""Bytes of a body or header to text: the declared charset if it holds, else utf-8, cp1251, koi8-r.

Russian mail is often mislabelled (koi8-r declared on cp1251 text, `win-1251`, no charset at all on
8-bit bodies). Single-byte Cyrillic codecs decode any bytes, so between cp1251 and koi8-r the choice
is made by how many bytes are the most frequent Russian letters in each (counted in C, on a sample).
"""

from __future__ import annotations

import codecs
import functools
import re

CYRILLIC_GUESSES = ("cp1251", "koi8-r")
SINGLE_BYTE_CYRILLIC = frozenset({"cp1251", "koi8-r", "koi8-u", "cp866", "iso8859-5", "mac-cyrillic"})
# Treated as "nothing declared": an 8-bit body labelled us-ascii was never ascii.
UNDECLARED = frozenset({"ascii"})
SAMPLE_BYTES = 8192
MOSTLY_UTF8 = 10  # UTF-8 characters per damaged sequence from which a body is UTF-8 with a few bad bytes
_FREQUENT = "оеаинтсрвлОЕАИНТСРВЛ"
_FREQUENT_BYTES = {codec: _FREQUENT.encode(codec) for codec in CYRILLIC_GUESSES}
_SINGLE_BYTE_PREFIXES = ("ascii", "cp", "iso8859", "latin", "koi8", "mac-", "windows")
_SURROGATES = re.compile("[\udc80-\udcff]+")
_ALIASES = (("1251", "cp1251"), ("koi8u", "koi8-u"), ("koi8", "koi8-r"), ("866", "cp866"), ("utf8", "utf-8"))


@functools.lru_cache(maxsize=256)  # a handful of labels, read for every part and encoded word
def codec_for(label: str | None) -> str | None:
    """The Python codec of a MIME charset label, tolerating common misspellings; None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    squashed = re.sub(r"[^a-z0-9]", "", label)
    for needle, codec in _ALIASES:
        if needle in squashed:
            return codec
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):  # ValueError: a label with a NUL in it ("UT\0F-8")
        return None
    # Only a text codec that decodes at all: not "base64" or "rot13" (bytes.decode refuses them), not "undefined".
    if not getattr(info, "_is_text_encoding", True) or info.name == "undefined":
        return None
    return info.name


def cyrillic_score(data: bytes, codec: str) -> int:
    """How many bytes of the sample are frequent Russian letters when read as `codec`."""
    sample = data[:SAMPLE_BYTES]
    return len(sample) - len(sample.translate(None, _FREQUENT_BYTES[codec]))


def guess_cyrillic(data: bytes, preferred: str | None = None) -> str:
    scores = {codec: cyrillic_score(data, codec) for codec in CYRILLIC_GUESSES}
    best = max(CYRILLIC_GUESSES, key=lambda codec: scores[codec])
    if preferred in scores and scores[best] <= scores[preferred] * 1.3 + 2:
        return preferred  # the declared label wins unless the other reading is clearly better
    return best


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Never raises: the best reading of `data`, with U+FFFD only for bytes no candidate can read."""
    if data.isascii():
        return data.decode("ascii")
    codec = codec_for(declared)
    if codec is None or codec.startswith(_SINGLE_BYTE_PREFIXES):
        # Non-ASCII bytes that are valid UTF-8 are UTF-8 whatever the label: 8-bit text almost never is.
        text = _utf8(data)
        if text is not None:
            return text
    if codec in SINGLE_BYTE_CYRILLIC:
        if codec not in CYRILLIC_GUESSES:
            return data.decode(codec, "replace")  # a rarer Cyrillic codec (cp866, iso8859-5): believed
        return data.decode(guess_cyrillic(data, codec), "replace")
    if codec is not None and codec not in UNDECLARED:
        text = _strict(data, codec)
        if text is not None:
            return text
    return _utf8(data) or data.decode(guess_cyrillic(data), "replace")


def _utf8(data: bytes) -> str | None:
    """`data` as UTF-8 if it is, or if it is UTF-8 but for a few damaged bytes (a cut multibyte character, a
    stray byte): those become U+FFFD instead of the whole text read as cp1251 (mojibake in every word).
    Text in a single-byte codec is not: its non-ASCII bytes almost never form UTF-8 sequences."""
    text = _strict(data, "utf-8")
    if text is not None:
        return text
    text = data.decode("utf-8", "replace")
    damaged = text.count("\ufffd")
    read = len(text) - len(text.encode("ascii", "ignore")) - damaged  # non-ASCII characters that are UTF-8
    return text if read >= MOSTLY_UTF8 * damaged else None


def fix_surrogates(text: str) -> str:
    """Header text parsed from raw 8-bit bytes (surrogate escapes) -> real characters."""
    if not _SURROGATES.search(text):
        return text
    undecoded = b"".join(run.encode("utf-8", "surrogateescape") for run in _SURROGATES.findall(text))
    codec = "utf-8" if _strict(undecoded, "utf-8") is not None else guess_cyrillic(undecoded)
    return _SURROGATES.sub(lambda m: m.group(0).encode("utf-8", "surrogateescape").decode(codec, "replace"), text)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
