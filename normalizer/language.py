"""Step: the language of the text, enough to answer in it (Cyrillic share)."""

from __future__ import annotations

from normalizer.draft import Draft


def detect_language(text: str) -> str:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "ru"
    cyrillic = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
    return "ru" if cyrillic / len(letters) >= 0.3 else "en"


def language(draft: Draft) -> None:
    draft.language = detect_language(draft.text)
