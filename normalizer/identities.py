"""Step: identities mentioned in the text: phones (E.164), contract and account numbers."""

from __future__ import annotations

import re

from normalizer.draft import Draft, add_unique
from normalizer.phones import phones_in_text

# Configurable through settings (COMPLAINTS_CONTRACT_PATTERN / COMPLAINTS_ACCOUNT_PATTERN);
# the first group, if any, is the number itself.
CONTRACT_PATTERN = re.compile(r"(?:договор\w*|contract)\s*(?:№|N|#|no\.?)?\s*(\d{2}-\d{6})", re.I)
ACCOUNT_PATTERN = re.compile(r"(?:лицев\w*\s+сч[её]т\w*|л/с|ЛС|account)\s*(?:№|N|#)?\s*(\d{8,12})", re.I)


def configure(contract: str | None = None, account: str | None = None) -> None:
    global CONTRACT_PATTERN, ACCOUNT_PATTERN
    if contract:
        CONTRACT_PATTERN = re.compile(contract, re.I)
    if account:
        ACCOUNT_PATTERN = re.compile(account, re.I)


def _numbers(pattern: re.Pattern[str], text: str) -> list[str]:
    return [m.group(1) if m.groups() else m.group(0) for m in pattern.finditer(text)]


def identities_in_text(draft: Draft) -> None:
    text = f"{draft.subject or ''}\n{draft.text}"
    ids = draft.identities
    for phone in phones_in_text(text):
        add_unique(ids.phones, phone)
    for number in _numbers(CONTRACT_PATTERN, text):
        add_unique(ids.contract_numbers, number)
    for number in _numbers(ACCOUNT_PATTERN, text):
        add_unique(ids.account_numbers, number)
