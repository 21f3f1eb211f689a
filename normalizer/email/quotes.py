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
# Every line the loop below acts on begins with one of these or ends with a colon (a superset: it only
# lets plain lines be skipped).
_MARKER_START = (r"[ \t]*(?:>|-|\*?from|\*?от|sent|get outlook|получить outlook|отправлено|с уважением, отправлено"
                 r"|begin forwarded|начало переадресованного|on\s)")
# Searched for as a line break then the marker, and a colon, rather than as one pattern with `^` (re.M):
# a pattern that begins with a character the regex engine can look for is scanned for in C, one that
# begins with `^` or an alternation is tried at every position of the text (most of this step's time).
_FIRST_LINE_MARKER = re.compile(_MARKER_START, re.I)
_LINE_MARKER = re.compile(r"\n" + _MARKER_START, re.I)
_COLON_AT_END = re.compile(r":[ \t\r]*$", re.M)
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
    start = _first_marker_line(text)
    if start is None:
        return Reply(text.strip(), "")
    rest = _split_lines(text[start:].split("\n"))
    return Reply((text[:start] + rest.text).strip(), rest.signature)


def _first_marker_line(text: str) -> int | None:
    """Where the first line with a possible marker begins, or None when no line has one."""
    if _FIRST_LINE_MARKER.match(text):
        return 0
    line = _LINE_MARKER.search(text)
    end = line.start() + 1 if line else len(text)
    colon = _COLON_AT_END.search(text, 0, end)  # only a colon on an earlier line can come first
    if colon:
        return text.rfind("\n", 0, colon.start()) + 1
    return end if line else None


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
