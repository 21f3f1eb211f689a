"""Step: make the text clean and bounded (control characters out, whitespace folded).

A text longer than MAX_TEXT_CHARS is cut, visibly: the cut text ends with a marker, and the whole cleaned
text is kept in the blob store as a text attachment of the event (the marker alone when no store is given).
"""

from __future__ import annotations

import re
import unicodedata

from normalizer.draft import Draft
from normalizer.event import Attachment

MAX_TEXT_CHARS = 20_000
MAX_SUBJECT_CHARS = 300
CUT_MARKER = "\n\n… [текст сокращён: полный текст во вложении]"
CUT_MARKER_NOT_KEPT = "\n\n… [текст сокращён]"
FULL_TEXT_NAME = "полный_текст.txt"
FULL_TEXT_TYPE = "text/plain; charset=utf-8"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\n\n+")  # not \n{3,}: a literal prefix, found by a fast scan


def clean_text(text: str, limit: int | None = MAX_TEXT_CHARS) -> str:
    """The cleaned text, cut to `limit` characters (not at all with None)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    if "  " in text or "\t" in text or "\u00a0" in text:  # else every run is one plain space already
        text = _SPACES.sub(" ", text)  # runs never cross a line break
    text = "\n".join(line.strip() for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    text = text.strip()
    return text if limit is None else text[:limit]


def bounded_text(draft: Draft, text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """`text` if it fits; else its head with the cut marked, the whole text attached when there is a store."""
    if len(text) <= limit:
        return text
    marker = CUT_MARKER_NOT_KEPT
    if draft.blobs is not None:
        data = text.encode("utf-8")
        attachment = Attachment(name=FULL_TEXT_NAME, content_type=FULL_TEXT_TYPE, size=len(data),
                                blob_key=draft.blobs.put(data))
        if attachment not in draft.attachments:
            draft.attachments.append(attachment)
        marker = CUT_MARKER
    return text[: limit - len(marker)].rstrip() + marker


def text_cleanup(draft: Draft) -> None:
    draft.text = bounded_text(draft, clean_text(draft.text, None))
    if draft.subject:
        draft.subject = clean_text(draft.subject, MAX_SUBJECT_CHARS).replace("\n", " ") or None
    if draft.display_name:
        draft.display_name = clean_text(draft.display_name, 200).replace("\n", " ") or None
