"""Step: make the text clean and bounded (control characters out, whitespace folded)."""

from __future__ import annotations

import re
import unicodedata

from normalizer.draft import Draft

MAX_TEXT_CHARS = 20_000
MAX_SUBJECT_CHARS = 300
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    return text[:limit]


def text_cleanup(draft: Draft) -> None:
    draft.text = clean_text(draft.text)
    if draft.subject:
        draft.subject = clean_text(draft.subject, MAX_SUBJECT_CHARS).replace("\n", " ") or None
    if draft.display_name:
        draft.display_name = clean_text(draft.display_name, 200).replace("\n", " ") or None
