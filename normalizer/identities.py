"""Step: identities mentioned in the text: phones (E.164), contract and account numbers.

The contract and account patterns come from the draft's NormalizerConfig (settings
COMPLAINTS_CONTRACT_PATTERN / COMPLAINTS_ACCOUNT_PATTERN); the first group, if any, is the number itself.
Zero-width and bidi control characters never count in an identifier: they are taken out of the text the
numbers are looked for in, and out of the identities the channel step found (normalizer.invisible).
"""

from __future__ import annotations

import re

from normalizer.draft import Draft, add_unique
from normalizer.event import Identities
from normalizer.invisible import strip_invisible
from normalizer.phones import phones_in_plain_text


def numbers_in_text(pattern: re.Pattern[str], text: str) -> list[str]:
    return [m.group(1) if m.groups() else m.group(0) for m in pattern.finditer(text)]


def plain_identities(ids: Identities) -> None:
    """Every identity of `ids` without invisible characters (in place; one of each, in order)."""
    for _, attr in Identities.KINDS:
        values: list[str] = []
        for value in getattr(ids, attr):
            add_unique(values, strip_invisible(value).strip())
        setattr(ids, attr, values)


def identities_in_text(draft: Draft) -> None:
    text = strip_invisible(f"{draft.subject or ''}\n{draft.text}")
    ids = draft.identities
    plain_identities(ids)
    for phone in phones_in_plain_text(text):  # `text` is stripped already
        add_unique(ids.phones, phone)
    for number in numbers_in_text(draft.config.contract_pattern, text):
        add_unique(ids.contract_numbers, number)
    for number in numbers_in_text(draft.config.account_pattern, text):
        add_unique(ids.account_numbers, number)
