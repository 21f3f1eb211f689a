"""The sender's address, only when it is unambiguous.

Python 3.11.7 lacks the CVE-2023-27043 fix: parseaddr and the header registry can read a different
address than a mail client shows (`alice@x.ru)<bob@y.ru>`, two addresses, a display name that is
itself another address). An address is taken only when the strict header registry parse, parseaddr
and every address-looking token in the raw value all agree on exactly one address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import errors
from email.message import EmailMessage
from email.utils import parseaddr

from normalizer.email.charset import fix_surrogates
from normalizer.email.headers import decode_header_text, raw_header, unfold
from normalizer.email.parse import POLICY

_ADDR_SPEC = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_][\w-]{0,62}$"
)
_ADDRESS_TOKEN = re.compile(r"[^\s<>\"'(),;:@\[\]]+@[^\s<>\"'(),;:@\[\]]+")
MAX_ADDRESS_HEADER = 2000
# The forms nearly every mail uses, which leave nothing to interpret: one bare addr-spec, or a display
# name without quotes, comments, brackets or separators followed by one <addr-spec>. They are read
# here directly; anything else goes through the (ten times slower) header registry and the cross-checks.
_SIMPLE_FORM = re.compile(
    r"^(?:(?P<name>[^\"<>@,;:()\\\[\]]*?)[ \t]*<(?P<angle>[^<>\s]+)>|(?P<bare>[^<>\s\"(),;:\\\[\]]+))$"
)


@dataclass(frozen=True)
class Mailbox:
    address: str | None  # lower-cased; None when refused
    display_name: str | None
    problem: str | None = None  # why the address was refused


def single_mailbox(msg: EmailMessage, header: str) -> Mailbox | None:
    """The one mailbox of an address header; None if the header is absent."""
    values = raw_header(msg, header)
    if not values:
        return None
    if len(values) > 1:
        return Mailbox(None, None, f"{len(values)} {header} headers")
    return parse_mailbox(values[0])


def parse_mailbox(raw: str) -> Mailbox:
    value = fix_surrogates(unfold(raw))
    if len(value) > MAX_ADDRESS_HEADER:
        return Mailbox(None, None, "address header too long")
    simple = _simple_mailbox(value.strip())
    if simple is not None:
        return simple
    try:
        parsed = POLICY.header_factory("from", value)
        addresses = parsed.addresses
    except Exception:
        # The 3.11 header registry trips over some values with its own internal errors (AttributeError on a
        # group "x: y:z@a.ru;;", IndexError, TypeError, ValueError on a lone CR): all of them mean "malformed".
        return Mailbox(None, None, "malformed address")
    if len(addresses) != 1:
        return Mailbox(None, None, f"{len(addresses)} addresses")
    if any(isinstance(d, errors.InvalidHeaderDefect) for d in parsed.defects):
        return Mailbox(None, None, "malformed address")
    entry = addresses[0]
    address = entry.addr_spec.lower()
    name = fix_surrogates(entry.display_name).strip() or None
    if not _ADDR_SPEC.match(address):
        return Mailbox(None, name, "not a plain address")
    if parseaddr(value)[1].lower() != address:
        return Mailbox(None, name, "parsers disagree")
    seen = {token.lower() for token in _ADDRESS_TOKEN.findall(value)}
    if name:
        seen.update(token.lower() for token in _ADDRESS_TOKEN.findall(name))
    if seen - {address}:
        return Mailbox(None, None, "more than one address in the header")
    return Mailbox(address, name)


def _simple_mailbox(value: str) -> Mailbox | None:
    """A mailbox in one of the plain forms; None when the full parse must decide."""
    match = _SIMPLE_FORM.match(value)
    if match is None:
        return None
    address = (match["angle"] or match["bare"]).lower()
    if not _ADDR_SPEC.match(address):
        return None
    name = fix_surrogates(decode_header_text(match["name"] or "")).strip() or None
    if name and (_ADDRESS_TOKEN.search(name) or "<" in name or ">" in name):
        return None  # a name that itself looks like an address: the cross-checks decide
    return Mailbox(address, name)
