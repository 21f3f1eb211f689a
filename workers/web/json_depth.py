"""How deeply a JSON text nests, found without parsing it: `json.loads` recurses once per level and ends in a
RecursionError (a 500) on a body of a few thousand `[`, so every webhook and API body is measured first.

Only the brackets outside strings count; a text that is not JSON at all is measured all the same (the parser
then refuses it with its own reason).
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

MAX_DEPTH = 64  # far more than any platform's update or API body needs

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {ord("["): "\x02", ord("{"): "\x02", ord("]"): "\x00", ord("}"): "\x00"}


def json_depth(data: bytes | str) -> int:
    """The deepest nesting of arrays and objects in `data` (0 for a scalar); bytes undecodable as JSON
    text are measured as Latin-1 (each byte a character)."""
    if isinstance(data, bytes):
        try:
            text = data.decode(json.detect_encoding(data))
        except (UnicodeDecodeError, LookupError):
            text = data.decode("latin-1")
    else:
        text = data
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    steps = brackets.translate(_STEP)  # an opening bracket +1, a closing one -1
    return max(0, max(accumulate(ord(step) - 1 for step in steps)))


def too_deep(data: bytes | str, limit: int = MAX_DEPTH) -> bool:
    """True when `data` nests arrays and objects deeper than `limit` levels."""
    return json_depth(data) > limit


TOO_DEEP_RU = f"JSON вложен глубже {MAX_DEPTH} уровней."
TOO_DEEP_EN = f"The JSON is nested deeper than {MAX_DEPTH} levels."
