"""Record ids in a path, or typed into a form or a query string, read as the store can take them.

str.isdigit() is true for "²" (int() refuses it) and for Arabic-Indic or other Unicode digits; a long run of
digits is a number PostgreSQL's INTEGER keys cannot hold (asyncpg refuses it). Either was a 500.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_RECORD_ID = 2**31 - 1  # the store's INTEGER primary keys
# A record id in a path: a larger number is a 422, not an OverflowError or the database's refusal (a 500).
RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID)]


def record_id(value: str) -> int | None:
    """`value` as a record id (ASCII digits, 1..MAX_RECORD_ID), else None."""
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > len(str(MAX_RECORD_ID)):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_RECORD_ID else None
