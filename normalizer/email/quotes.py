"""Strip quoted history and signatures from a reply, keeping what the client wrote now.

One pass over the lines. A separator ("-----Original Message-----", an Outlook From/Sent/To/Subject
block, an attribution not followed by "> " lines) ends the new text; "> " lines and the attribution
above them are dropped wherever they are (interleaved answers survive); a "-- " signature is
dropped up to a forwarded message, whose content is the complaint and is kept whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ORIGINAL = re.compile(
    r"^-{2,}\s*(?:original message|исходное сообщение|оригинальное сообщение|исходное письмо)\s*-{2,}$", re.I
)
_FORWARD = re.compile(
    r"^(?:-{2,}\s*(?:forwarded message|пересылаемое сообщение|пересланное сообщение|перенаправленное сообщение"
    r"|переадресованное сообщение)\s*-{2,}|begin forwarded message:|начало переадресованного сообщения:)$",
    re.I,
)
_WROTE = re.compile(r"(?:\bwrote|пишет|написал(?:а|\(а\))?|писал(?:а|\(а\))?)\s*:$", re.I)
_ADDRESS_OR_TIME = re.compile(r"@|\d{1,2}:\d{2}|\d{1,2}\.\d{1,2}\.\d{2,4}")
_HEADER_START = re.compile(r"^\*?(?:from|от)\s*:", re.I)
_HEADER_FIELD = re.compile(
    r"^\*?(?:sent|date|to|cc|subject|отправлено|дата|кому|копия|тема)\s*:", re.I
)
_MOBILE = re.compile(
    r"^(?:sent from my \S+.*|sent from (?:mail|outlook|yahoo mail|yandex mail).*|get outlook for \S+"
    r"|отправлено с (?:моего )?(?:iphone|ipad|android|телефона|мобильного).*"
    r"|отправлено из мобильной почты mail\.ru|отправлено из приложения .*|получить outlook для \S+"
    r"|с уважением, отправлено с .*)$",
    re.I,
)
# Every line the loop below acts on matches this (a superset: it only lets plain lines be skipped).
_ANY_MARKER = re.compile(
    r"^[ \t]*(?:>|-|\*?from|\*?от|sent|get outlook|получить outlook|отправлено|с уважением, отправлено|begin forwarded"
    r"|начало переадресованного|on\s)|:[ \t\r]*$",
    re.I | re.M,
)
HEADER_LOOKAHEAD = 8
LONGEST_ATTRIBUTION = 300


@dataclass(frozen=True)
class Reply:
    text: str  # what the client wrote now
    signature: str  # dropped from the text, still searched for the client's phone or contract number


def strip_quotes(text: str) -> str:
    return split_reply(text).text


def split_reply(text: str) -> Reply:
    # Lines before the first possible marker are kept as they are (scanned once, in C).
    first = _ANY_MARKER.search(text)
    if first is None:
        return Reply(text.strip(), "")
    start = text.rfind("\n", 0, first.start()) + 1
    rest = _split_lines(text[start:].split("\n"))
    return Reply((text[:start] + rest.text).strip(), rest.signature)


def _split_lines(lines: list[str]) -> Reply:
    kept: list[str] = []
    signature: list[str] = []
    forwarded = in_signature = False
    for i, line in enumerate(lines):
        s = line.strip()
        if forwarded:
            kept.append(line)
            continue
        if _FORWARD.match(s):
            forwarded, in_signature = True, False
            kept.append(line)
            continue
        if in_signature:
            signature.append(line)
            continue
        if _MOBILE.match(s):
            continue
        if s.startswith(">"):
            continue
        if line.rstrip("\r") in ("-- ", "--"):
            in_signature = True
            continue
        if _ORIGINAL.match(s) or (_HEADER_START.match(s) and _is_header_block(lines, i)):
            break
        attribution = _attribution(lines, i)
        if attribution == "cut":
            break
        if attribution == "drop":
            continue
        kept.append(line)
    return Reply("\n".join(kept).strip(), "\n".join(signature).strip())


def unquote(text: str) -> str:
    """The text with "> " quote marks removed (when nothing but a quote is left, the quote is the content)."""
    return "\n".join(line.lstrip("> ").rstrip() if line.lstrip().startswith(">") else line for line in text.split("\n"))


def _is_header_block(lines: list[str], start: int) -> bool:
    fields = 0
    for line in lines[start + 1 : start + 1 + HEADER_LOOKAHEAD]:
        if _HEADER_FIELD.match(line.strip()):
            fields += 1
            if fields >= 2:
                return True
    return False


def _next_is_quote(lines: list[str], start: int) -> bool:
    for line in lines[start + 1 : start + 4]:
        if line.strip():
            return line.lstrip().startswith(">")
    return False


def _attribution(lines: list[str], i: int) -> str | None:
    """"drop" an attribution line above "> " lines, "cut" at one above an unmarked quote, else None."""
    s = lines[i].strip()
    if not s.endswith(":") or len(s) > LONGEST_ATTRIBUTION:
        # A Gmail attribution wrapped in two lines: "On ..., Ivan <" / "ivan@x.ru> wrote:".
        if s[:3].lower() == "on " and i + 1 < len(lines) and _WROTE.search(lines[i + 1].strip()):
            return "drop" if _next_is_quote(lines, i + 1) else "cut"
        return None
    if i > 0 and lines[i - 1].strip()[:3].lower() == "on " and _WROTE.search(s):
        return "drop"
    quoted = _next_is_quote(lines, i)
    if _WROTE.search(s) and _ADDRESS_OR_TIME.search(s):
        return "drop" if quoted else "cut"
    if quoted and _ADDRESS_OR_TIME.search(s):
        return "drop"
    return None
