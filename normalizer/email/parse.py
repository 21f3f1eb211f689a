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
# A field's first line as the stdlib parser takes it (email.feedparser.headerRE, with a name of one
# character at least): the name, then the colon.
_FIELD_START = re.compile(r"[\041-\071\073-\176]+:")


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
    msg = _parse_without_feedparser(data) or _PARSER.parsebytes(data)
    if not isinstance(msg, EmailMessage) or not msg.keys():
        raise BadSubmission("не письмо: нет ни одного поля заголовка / not an email message: no header fields")
    return msg


def _parse_without_feedparser(data: bytes) -> EmailMessage | None:
    """The same message as `_PARSER.parsebytes(data)` for a single-part mail or a plain multipart one (most
    mails), without the parser's pass over every line; None when the full parse must do it."""
    split = _head_and_body(data)
    if split is None:
        return None
    msg, body = split
    if msg.get_content_maintype() == "multipart":
        return _flat_multipart(msg, body.decode("ascii", "surrogateescape"))
    return _single_part(msg, body)


def _parse_single_part(data: bytes) -> EmailMessage | None:
    """`_PARSER.parsebytes(data)` for a mail that is not multipart; None for any other (see _single_part)."""
    split = _head_and_body(data)
    return _single_part(*split) if split is not None else None


def _head_and_body(data: bytes) -> tuple[EmailMessage, bytes] | None:
    """The message with the fields of the header block (see _plain_header_block), and the bytes after the
    empty line that ends it; None when the full parse must read the header block."""
    lf, crlf = data.find(b"\n\n"), data.find(b"\r\n\r\n")
    if lf >= 0 and (crlf < 0 or lf < crlf):
        head, body = data[: lf + 1], data[lf + 2 :]
    elif crlf >= 0:
        head, body = data[: crlf + 2], data[crlf + 4 :]
    else:
        return None
    msg = _plain_header_block(head.decode("ascii", "surrogateescape"))
    return (msg, body) if msg is not None else None


def _single_part(msg: EmailMessage, body: bytes) -> EmailMessage | None:
    """For a mail that is not multipart the stdlib parser takes the headers up to the first empty line and
    the rest, unchanged, as the payload: the payload is set to the rest of the bytes, decoded as the parser
    decodes them."""
    if msg.get_content_maintype() in ("multipart", "message"):
        return None  # (message/delivery-status included)
    msg.set_payload(body.decode("ascii", "surrogateescape"))
    return msg


# A header line as the stdlib parser tells it (email.feedparser.headerRE).
_HEADER_LINE = re.compile(r"^(From |[\041-\071\073-\176]*:|[\t ])")
_PASSED_CTE = ("7bit", "8bit", "binary")


def _flat_multipart(msg: EmailMessage, body: str) -> EmailMessage | None:
    """`msg` with the parts of `body` as the stdlib parser (email.feedparser) attaches them, for the common
    shape only: LF or CRLF line breaks, a start boundary, parts that are all leaves (no multipart or message
    part) each with its fields and an empty line, no two boundaries in a row, the close boundary. Anything
    else (each of those is where the parser records a defect or recurses) is None: the full parse reads it.
    """
    boundary = msg.get_boundary()
    if (boundary is None or msg.get_content_type() == "multipart/digest"  # (its parts default to message/rfc822)
            or str(msg.get("content-transfer-encoding", "8bit")).lower() not in _PASSED_CTE
            or "\r" in body.replace("\r\n", "")):
        return None
    # The parser's lines: it breaks at "\r\n", "\r" and "\n" (io.StringIO(newline="")), here only the first two.
    lines = body.split("\n")
    last = lines.pop()
    lines = [line + "\n" for line in lines]
    if last:
        lines.append(last)
    separator = "--" + boundary
    kinds = [_boundary_kind(line, separator) if line.startswith(separator) else None for line in lines]
    at = next((i for i, kind in enumerate(kinds) if kind), None)
    if at is None:
        return None
    if at:  # the preamble
        msg.preamble = _without_eol("".join(lines[:at]))
    while kinds[at] != "close":
        at += 1
        end = next((i for i in range(at, len(lines)) if kinds[i]), None)
        if end is None or end == at:
            return None  # no close boundary, or two boundaries in a row
        part = _leaf_part(lines[at:end])
        if part is None:
            return None
        msg.attach(part)
        at = end
    if not msg.is_multipart():
        return None  # a close boundary first
    msg.epilogue = "".join(lines[at + 1 :])  # ("" after a close boundary with no line break: the last line)
    return msg


def _boundary_kind(line: str, separator: str) -> str | None:
    """The kind of boundary `line` is to the parser ("close", "next"), else None: the separator, "--" for the
    close one, spaces and tabs, a line break (the parser's boundary pattern, here for a line with one line
    break at most, at its end)."""
    rest = line[len(separator) :]
    close = rest.startswith("--")
    if rest[2 if close else 0 :].lstrip(" \t") not in ("", "\n", "\r\n", "\r"):
        return None
    return "close" if close else "next"


def _without_eol(text: str) -> str:
    """`text` without its last line break: RFC 2046 gives the one before a boundary to the boundary."""
    for eol in ("\r\n", "\n", "\r"):
        if text.endswith(eol):
            return text[: -len(eol)]
    return text


def _leaf_part(lines: list[str]) -> EmailMessage | None:
    """A part between two boundaries as the parser makes it: its fields up to the empty line, the rest
    the payload, without the line break before the next boundary; None for a part with no empty line
    after its fields, or a multipart or message part."""
    fields = 0
    while fields < len(lines) and _HEADER_LINE.match(lines[fields]):
        fields += 1
    if fields == len(lines) or lines[fields] not in ("\n", "\r\n"):
        return None
    part = _plain_header_block("".join(lines[:fields]))
    if part is None or part.get_content_maintype() in ("multipart", "message"):
        return None
    part.set_payload(_without_eol("".join(lines[fields + 1 :])))
    return part


def _plain_header_block(head: str) -> EmailMessage | None:
    """The message the stdlib parser makes of a header block whose every line is a field's first line
    (`Name: value`) or a continuation of one, each ended by LF or CRLF: its fields as the parser stores
    them (policy.header_source_parse, message.set_raw), without the parser's line-by-line generators.

    None for any other block: a line break the parser splits on other than LF and CRLF, a line that would
    end the header block, a "From " line, a field with no name, a first line that continues nothing.
    The parser itself reads those (with their defects).
    """
    msg = EmailMessage(policy=POLICY)  # POLICY.message_factory, as the parser makes it
    field: list[str] = []
    for line in head.splitlines(keepends=True):
        if not line.endswith("\n"):
            return None
        if line[0] in " \t":
            if not field:
                return None
            field.append(line)
            continue
        if line.startswith("From ") or not _FIELD_START.match(line):
            return None
        if field:
            msg.set_raw(*POLICY.header_source_parse(field))
        field = [line]
    if field:
        msg.set_raw(*POLICY.header_source_parse(field))
    return msg
