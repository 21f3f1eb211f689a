"""Request bodies read by the handler after authentication (never by FastAPI before it), capped while they
stream: a client cannot make the process hold more than the endpoint's cap of a body.

Every webhook and REST body goes through here: `capped_body` refuses a body over the cap (a declared
Content-Length over it before a byte is read), `body_prefix` keeps at most one byte over it for a channel
that quarantines what it refuses, and `json_object` also refuses JSON nested too deeply to parse.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request

from workers.web.errors import ApiError, validation_error
from workers.web.json_depth import TOO_DEEP_EN, TOO_DEEP_RU, too_deep

MAX_BODY_BYTES = 256 * 1024


def too_large_error(limit: int = MAX_BODY_BYTES) -> ApiError:
    """The REST API's 413."""
    return ApiError(413, f"Тело запроса больше {limit // 1024} КБ.",
                    f"The request body is larger than {limit // 1024} KB.")


def declared_length(request: Request) -> int | None:
    """The Content-Length the client declared, if it is a number."""
    value = request.headers.get("content-length", "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 20 else None


async def _chunks(request: Request, limit: int) -> AsyncIterator[tuple[bytes, bool]]:
    """The body's chunks, each with whether the body has now streamed past `limit`; nothing is read after that."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        yield chunk, size > limit
        if size > limit:
            return


async def capped_body(request: Request, limit: int = MAX_BODY_BYTES,
                      too_large: Exception | None = None) -> bytes:
    """The body; `too_large` (by default the API's 413) is raised when it declares a length over `limit` (before
    anything is read) or as soon as it streams past `limit` (the rest is never read)."""
    error = too_large if too_large is not None else too_large_error(limit)
    length = declared_length(request)
    if length is not None and length > limit:
        raise error
    chunks: list[bytes] = []
    async for chunk, over in _chunks(request, limit):
        if over:
            raise error
        chunks.append(chunk)
    return b"".join(chunks)


async def body_prefix(request: Request, limit: int) -> bytes:
    """The body if it is at most `limit` bytes, else its first `limit + 1` bytes (read no further): for a channel
    that keeps what it refuses, with the reason."""
    chunks = [chunk async for chunk, _ in _chunks(request, limit)]
    return b"".join(chunks)[:limit + 1]


async def json_object(request: Request, lead: tuple[str, str]) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is empty; 413, or 422 led by `lead` (ru, en), otherwise."""
    raw = await capped_body(request)
    if not raw.strip():
        return None
    if too_deep(raw):
        raise validation_error([{"type": "value_error", "loc": ("body",), "msg": f"{TOO_DEEP_RU} / {TOO_DEEP_EN}"}],
                               *lead)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise validation_error([{"type": "json_invalid", "loc": ("body",)}], *lead) from None
    if not isinstance(data, dict):
        raise validation_error([{"type": "dict_type", "loc": ("body",)}], *lead)
    return data
