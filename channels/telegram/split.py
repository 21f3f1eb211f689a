"""Split a long answer into Telegram messages (at most 4096 UTF-16 code units each) at natural boundaries."""

from __future__ import annotations

LIMIT = 4096  # Bot API: 1-4096 characters after entity parsing, counted in UTF-16 code units


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _prefix_within(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 code units (never half a surrogate pair)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_message(text: str, limit: int = LIMIT) -> list[str]:
    """Parts in order, each within the limit: cut at a paragraph, else a line, else a word, else hard."""
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if utf16_len(rest) <= limit:
            parts.append(rest)
            break
        window = _prefix_within(rest, limit)
        head = rest[:window]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            found = head.rfind(separator)
            if found > 0:
                cut = found
                break
        if cut <= 0:
            cut = window  # one endless word
        part = rest[:cut].rstrip()
        if part:
            parts.append(part)
        rest = rest[cut:].lstrip()
    return parts
