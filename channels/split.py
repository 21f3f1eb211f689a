"""Split a long answer into the messages a chat platform takes, at natural boundaries, in order.

Platforms count differently: some in characters, some in UTF-16 code units (an emoji outside the
Basic Multilingual Plane is two). A cut never falls inside a character.
"""

from __future__ import annotations

from collections.abc import Callable

Measure = Callable[[str], int]


def characters(text: str) -> int:
    return len(text)


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitting(text: str, limit: int, measure: Measure) -> int:
    """How many characters of `text` fit in `limit` units of `measure`."""
    if measure is characters:
        return min(limit, len(text))
    used = 0
    for index, char in enumerate(text):
        used += measure(char)
        if used > limit:
            return index
    return len(text)


def split_message(text: str, limit: int, measure: Measure = characters, max_parts: int | None = None) -> list[str]:
    """Parts within `limit`: cut at a paragraph, else a line, else a word, else hard.

    With `max_parts`, the last allowed part ends in "…" and the rest is dropped (the platform would
    refuse a flood). Blank text gives no part.
    """
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if measure(rest) <= limit:
            parts.append(rest)
            break
        window = _fitting(rest, limit, measure)
        head = rest[:window]
        cut = next((found for found in (head.rfind(sep) for sep in ("\n\n", "\n", " ")) if found > 0), window)
        part = rest[:cut].rstrip()
        if part:
            parts.append(part)
        rest = rest[cut:].lstrip()
    if max_parts is not None and len(parts) > max_parts:
        last = parts[max_parts - 1]
        parts = [*parts[:max_parts - 1], last[:_fitting(last, limit - 1, measure)] + "…"]
    return parts
