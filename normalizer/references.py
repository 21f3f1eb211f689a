"""Step: references to existing tickets (C-YYYY-NNNNNN) in the subject or text."""

from __future__ import annotations

import re

from normalizer.draft import Draft, add_unique

# `\bC-...`, written with the "C" first: a pattern that begins with a literal is searched for by the regex
# engine's fast scan, one that begins with `\b` is tried at every position (most of this step's time).
TICKET_NUMBER = re.compile(r"C(?<=\bC)-(\d{4})-(\d{6})\b")


def ticket_numbers(text: str) -> list[str]:
    return [m.group(0) for m in TICKET_NUMBER.finditer(text)]


def thread_references(draft: Draft) -> None:
    for number in ticket_numbers(f"{draft.subject or ''}\n{draft.text}"):
        add_unique(draft.thread_refs, number)
