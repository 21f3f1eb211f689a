"""The JSON body of a REST call, read by the handler after authentication (never by FastAPI before it),
capped while it streams: a client cannot make the process hold more than MAX_BODY_BYTES of it."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from workers.web.errors import ApiError, validation_error

MAX_BODY_BYTES = 256 * 1024


async def capped_body(request: Request) -> bytes:
    """The body, refused (413) as soon as it streams past MAX_BODY_BYTES."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(413, f"Тело запроса больше {MAX_BODY_BYTES // 1024} КБ.",
                           f"The request body is larger than {MAX_BODY_BYTES // 1024} KB.")
        chunks.append(chunk)
    return b"".join(chunks)


async def json_object(request: Request, lead: tuple[str, str]) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is empty; 413, or 422 led by `lead` (ru, en), otherwise."""
    raw = await capped_body(request)
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise validation_error([{"type": "json_invalid", "loc": ("body",)}], *lead) from None
    if not isinstance(data, dict):
        raise validation_error([{"type": "dict_type", "loc": ("body",)}], *lead)
    return data
