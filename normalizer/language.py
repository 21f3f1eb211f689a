"""Step: the language of the text, enough to answer in it (Cyrillic share)."""

from __future__ import annotations

import re

from normalizer.draft import Draft

# The opening of a text says which language it is in; counting all of a long mail costs more than
# the rest of the normalizer together.
SAMPLE_CHARS = 2000
_NOT_CYRILLIC = re.compile(r"[^\u0400-\u04ff]+")


def detect_language(text: str) -> str:
    sample = text[:SAMPLE_CHARS]
    letters = sum(map(str.isalpha, sample))
    if not letters:
        return "ru"
    cyrillic = len(_NOT_CYRILLIC.sub("", sample))
    return "ru" if cyrillic / letters >= 0.3 else "en"


def language(draft: Draft) -> None:
    draft.language = detect_language(draft.text)
