"""Raw bytes -> EmailMessage, with the size caps checked before the parser sees anything.

Header parsing in the stdlib can be quadratic in the header size (gh-136063), so the header block
is measured on the bytes first. Only unusable input is refused; a malformed but readable mail is
parsed leniently (the parser records defects), as a mail client would show it.
"""

from __future__ import annotations

import re
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from channels.base import BadSubmission
from channels.email.config import EmailLimits

MAX_CACHED_VALUE = 512
MAX_CACHED_HEADERS = 4096


class CachingHeaderRegistry(HeaderRegistry):
    """policy.default's header factory without its repeated work (same header objects, same behaviour).

    The stdlib builds a new header class on every access and re-parses the value each time a header
    is read (the parser itself reads Content-Type several times per part). Header objects are
    immutable, so the same (name, value) can share one parsed object.
    """

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}
        self._parsed: dict[tuple[str, str], Any] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        cls = self._classes.get(name.lower())
        if cls is None:
            cls = self._classes[name.lower()] = super().__getitem__(name)
        return cls

    def __call__(self, name: str, value: str) -> Any:
        if len(value) > MAX_CACHED_VALUE:
            return super().__call__(name, value)
        key = (name, value)
        header = self._parsed.get(key)
        if header is None:
            if len(self._parsed) >= MAX_CACHED_HEADERS:
                self._parsed.clear()
            header = self._parsed[key] = super().__call__(name, value)
        return header


POLICY = policy.default.clone(header_factory=CachingHeaderRegistry())
_PARSER = BytesParser(policy=POLICY)
# The stdlib parser's test for a header line (email.feedparser.headerRE): the first line that fails it
# ends the header block. Any line here that would fail it, or a line break the parser splits on other
# than LF and CRLF, sends the mail through the full parse.
_NOT_A_HEADER_LINE = re.compile(rb"^(?!From |[\041-\071\073-\176]*:|[\t ])", re.M)
_ODD_LINE_BREAK = re.compile(rb"\r(?!\n)|[\v\f\x1c\x1d\x1e]")


def header_block_size(data: bytes, cap: int) -> int:
    """Bytes before the first empty line (looked for only up to just past `cap`)."""
    window = cap + 4
    ends = [i for i in (data.find(b"\n\n", 0, window), data.find(b"\r\n\r\n", 0, window)) if i >= 0]
    if ends:
        return min(ends)
    return len(data) if len(data) <= cap else cap + 1


def parse_mail(data: bytes, limits: EmailLimits) -> EmailMessage:
    """Raises BadSubmission with the reason for a mail that cannot be taken."""
    if not data.strip():
        raise BadSubmission("пустое письмо / empty mail")
    if len(data) > limits.max_message_bytes:
        raise BadSubmission(
            f"письмо больше предела: {len(data)} байт > {limits.max_message_bytes} / "
            f"mail of {len(data)} bytes is over the message size cap {limits.max_message_bytes}"
        )
    header_size = header_block_size(data, limits.max_header_bytes)
    if header_size > limits.max_header_bytes:
        raise BadSubmission(
            f"заголовки письма больше предела {limits.max_header_bytes} байт / "
            f"header block is over the header size cap {limits.max_header_bytes}"
        )
    msg = _parse_single_part(data) or _PARSER.parsebytes(data)
    if not isinstance(msg, EmailMessage) or not msg.keys():
        raise BadSubmission("не письмо: нет ни одного поля заголовка / not an email message: no header fields")
    return msg


def _parse_single_part(data: bytes) -> EmailMessage | None:
    """The same message as `_PARSER.parsebytes(data)` for a mail that is not multipart (most are), without
    the parser's pass over every line of the body; None when the full parse must do it.

    For such a mail the stdlib parser takes the headers up to the first empty line and the rest,
    unchanged, as the payload. Here only the header block goes through the parser (with the empty line
    after it), and the payload is set to the rest of the bytes, decoded as the parser decodes them.
    """
    lf, crlf = data.find(b"\n\n"), data.find(b"\r\n\r\n")
    if lf >= 0 and (crlf < 0 or lf < crlf):
        head, body = data[: lf + 1], data[lf + 2 :]
    elif crlf >= 0:
        head, body = data[: crlf + 2], data[crlf + 4 :]
    else:
        return None
    if _NOT_A_HEADER_LINE.search(head, 0, len(head) - 1) or _ODD_LINE_BREAK.search(head) or b"\nFrom " in head:
        return None  # (a "From " line after the first may be taken as the body's first line)
    msg = _PARSER.parsebytes(head + b"\n")
    if not isinstance(msg, EmailMessage) or msg.get_content_maintype() in ("multipart", "message"):
        return None  # (message/delivery-status included)
    msg.set_payload(body.decode("ascii", "surrogateescape"))
    return msg
