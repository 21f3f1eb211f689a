"""Writing JSON columns from JSON text that pydantic already serialised.

A JSON column's own type runs json.dumps on every value written. On the routing hot path the
text comes straight from `model_dump_json()` (pydantic's Rust serializer), so that second
serialisation is skipped. The stored value is the same JSON; every query reads it back through
the column's ordinary JSON type.
"""

from __future__ import annotations

from sqlalchemy import JSON, BindParameter, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class JSONText(TypeDecorator[str]):
    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None  # already JSON text


def json_text_param(key: str) -> BindParameter[str]:
    """An INSERT value for a JSON column, given as JSON text under `key` in each parameter set."""
    return bindparam(key, type_=JSONText())
