"""Message-IDs for threading: this mail's own id and the ids it answers (In-Reply-To, References).

Ids are kept with their angle brackets and only when they are plain printable ASCII, because they go
back out in the References header of our answer.
"""

from __future__ import annotations

import re
from email.message import Message

from normalizer.email.headers import raw_header

_BRACKETED = re.compile(r"<([!-;=?-~]{1,250})>")
_BARE = re.compile(r"^[!-;=?-~]{1,250}@[!-;=?-~]{1,250}$")
# A long References chain: keep its root and the most recent ids.
MAX_REFERENCES = 30


def message_ids(value: str) -> list[str]:
    ids: list[str] = []
    for found in _BRACKETED.findall(value):
        if "@" in found or "." in found:
            wrapped = f"<{found}>"
            if wrapped not in ids:
                ids.append(wrapped)
    return ids


def own_message_id(msg: Message) -> str | None:
    values = raw_header(msg, "message-id")
    if not values:
        return None
    value = values[0].strip()
    ids = message_ids(value)
    if ids:
        return ids[0]
    return f"<{value}>" if _BARE.match(value) else None


def referenced_ids(msg: Message) -> list[str]:
    """In-Reply-To then References, deduplicated and bounded."""
    ids: list[str] = []
    for header in ("in-reply-to", "references"):
        for value in raw_header(msg, header):
            for found in message_ids(value):
                if found not in ids:
                    ids.append(found)
    if len(ids) > MAX_REFERENCES:
        ids = ids[:1] + ids[-(MAX_REFERENCES - 1) :]
    return ids


def references_chain(msg: Message, own_id: str | None) -> list[str]:
    """The References of an answer to this mail (RFC 5322 3.6.4): its References (else In-Reply-To) + its id."""
    chain: list[str] = []
    for header in ("references", "in-reply-to"):
        for value in raw_header(msg, header):
            chain.extend(found for found in message_ids(value) if found not in chain)
        if chain:
            break
    if len(chain) > MAX_REFERENCES - 1:
        chain = chain[:1] + chain[-(MAX_REFERENCES - 2) :]
    if own_id and own_id not in chain:
        chain.append(own_id)
    return chain
