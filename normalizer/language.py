"""Step: the language of the text, enough to answer in it (Cyrillic share)."""

from __future__ import annotations

import re

from normalizer.draft import Draft

# The opening of a text says which language it is in; counting all of a long mail costs more than
# the rest of the normalizer together.
SAMPLE_CHARS = 2000
_NOT_CYRILLIC = re.compile(r"[^\u0400-\u04ff]+")


def _cp1251_bytes(wanted: str) -> bytes:
    """The bytes whose windows-1251 character is a letter ("alpha") or Cyrillic ("cyrillic")."""
    found = bytearray()
    for byte in range(256):
        try:
            char = bytes([byte]).decode("cp1251")
        except UnicodeDecodeError:
            continue
        if (char.isalpha() if wanted == "alpha" else "\u0400" <= char <= "\u04ff"):
            found.append(byte)
    return bytes(found)


# Nearly every Russian or English text is all in windows-1251's repertoire (ASCII, Cyrillic, №«»— ...):
# one byte per character, so letters and Cyrillic characters are counted in C on that encoding.
_CP1251_LETTERS = _cp1251_bytes("alpha")
_CP1251_CYRILLIC = _cp1251_bytes("cyrillic")


def letters_and_cyrillic(sample: str) -> tuple[int, int]:
    """(characters that are letters by str.isalpha, characters in U+0400-U+04FF) of `sample`."""
    encoded = sample.encode("cp1251", "ignore")
    if len(encoded) == len(sample):
        return (len(encoded) - len(encoded.translate(None, _CP1251_LETTERS)),
                len(encoded) - len(encoded.translate(None, _CP1251_CYRILLIC)))
    return sum(map(str.isalpha, sample)), len(_NOT_CYRILLIC.sub("", sample))


def detect_language(text: str) -> str:
    letters, cyrillic = letters_and_cyrillic(text[:SAMPLE_CHARS])
    if not letters:
        return "ru"
    return "ru" if cyrillic / letters >= 0.3 else "en"


def language(draft: Draft) -> None:
    draft.language = detect_language(draft.text)
