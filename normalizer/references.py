"""Step: references to existing tickets (C-YYYY-NNNNNN) in the subject or text."""

from __future__ import annotations

import re

from normalizer.draft import Draft, add_unique

TICKET_NUMBER = re.compile(r"\bC-(\d{4})-(\d{6})\b")


def ticket_numbers(text: str) -> list[str]:
    return [m.group(0) for m in TICKET_NUMBER.finditer(text)]


def thread_references(draft: Draft) -> None:
    for number in ticket_numbers(f"{draft.subject or ''}\n{draft.text}"):
        add_unique(draft.thread_refs, number)
