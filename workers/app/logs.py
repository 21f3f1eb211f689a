"""Logging set-up with personal data and secrets masked in every record, whoever logs it.

Masked: e-mail addresses (Cyrillic and IDN ones too) and phone numbers (whatever spaces, dashes and brackets
are between the groups) down to a hint; the values of secret-looking URL query parameters (`access_key`,
`hash`, `sig`/`sign`, `token`, `key`, `secret`, `password`…) and of `token=`/`secret:`-style pairs. Left
intact, though they look like numbers: ticket numbers (C-2026-000123), UUIDs, IP addresses, dates and times.
"""

from __future__ import annotations

import logging
import re

_SECRET_NAMES = r"access_?key|api_?key|key|hash|token|sig|sign|signature|secret|password|passwd|pwd"
# A query parameter whose name contains a secret-looking word: ?access_key=…&hash=…&sign=…
_QUERY_SECRET = re.compile(
    rf"(?i)([?&;][^=&#\s?]*?(?:{_SECRET_NAMES})[^=&#\s?]*=)[^&#\s\"'<>]+")
# `token=abc`, `password: abc`, `"secret": "abc"` (in a dict or JSON that is logged)
_PAIR_SECRET = re.compile(
    r"(?i)\b((?:access_key|token|secret|password|passwd)[\"']?\s*[=:]\s*[\"']?)(?!\*\*\*)[^\s\"',&}]+")
# Any letters in the local part and the domain (иван@почта.рф, ivan@пример.рф, punycode).
_EMAIL = re.compile(
    r"(?<![\w.%+-])([\w%+-])[\w.%+-]*@((?:[\w-]+\.)+(?:xn--[\w-]+|[^\W\d_]{2,}))(?![\w-])")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)"
# What must stay as it is although it is made of digit groups: checked first, at each position.
_KEEP = (
    r"[A-Za-zА-ЯЁа-яё]{1,5}-\d{4}-\d{3,}"  # ticket numbers: C-2026-000123
    r"|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"  # UUIDs
    rf"|(?<![\d.])(?:{_OCTET}\.){{3}}{_OCTET}(?::\d{{1,5}})?(?![\d.])"  # IPv4 addresses, with a port
    r"|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)?"  # ISO dates and times
    r"|\d{2}\.\d{2}\.\d{4}(?: \d{2}:\d{2}(?::\d{2})?)?"  # Russian dates and times
)
# A digit run with the separators phone numbers are written with (spaces, dashes, dots, brackets), that does
# not run on into something kept ("16:35:29 03.12.2026").
# Zero-width and bidi characters count as separators: a number copied from a messenger carries them (and the
# normalizer reads it as a phone all the same, normalizer.invisible).
_SEPARATORS = r"[ \t().\-\u2010-\u2015\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069]"
_PHONE = rf"\+?(?:\(\d{{2,5}}\)|\d)(?:{_SEPARATORS}{{0,5}}(?!{_KEEP})\d){{6,16}}"
_NUMBERS = re.compile(rf"(?<![\w+.\-])(?:(?P<keep>{_KEEP})|(?P<phone>{_PHONE}))(?!\w)")
_PHONE_DIGITS = 10  # fewer is a sum, a count or an id, not a phone number (unless it starts with +)


def _number(match: re.Match[str]) -> str:
    phone = match.group("phone")
    if phone is None:
        return match.group(0)
    digits = [c for c in phone if c.isdigit()]
    if len(digits) < _PHONE_DIGITS and not phone.startswith("+"):
        return phone
    head = "+" + digits[0] if phone.startswith("+") else digits[0]
    return f"{head}***{''.join(digits[-2:])}"


def mask(text: str) -> str:
    text = _QUERY_SECRET.sub(r"\1***", text)
    text = _PAIR_SECRET.sub(r"\1***", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    return _NUMBERS.sub(_number, text)


class MaskingFilter(logging.Filter):
    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"))
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
