"""Invisible format characters: zero-width ones and the bidi overrides and isolates.

In an identifier (a contract or account number, a phone, an e-mail) they are never meant: a copy from a
web page or a messenger brings them in, and a zero-width space inside "12-345678" stops it matching the
directory.
They are stripped from identifiers. In a text they stay (they may be meant there); the staff pages
neutralise the bidi ones when they show it (workers.web.templating).
"""

from __future__ import annotations

import re

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE = re.compile(f"[{ZERO_WIDTH}{BIDI_CONTROLS}]")
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def strip_invisible(value: str) -> str:
    """`value` without zero-width and bidi override/isolate characters."""
    return _INVISIBLE.sub("", value)


def strip_bidi(value: str) -> str:
    """`value` without bidi override/isolate characters (what a page may show of a text)."""
    return _BIDI.sub("", value)
