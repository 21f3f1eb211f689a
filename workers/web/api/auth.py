"""REST API authentication: `Authorization: Bearer <token>` against settings.api_tokens."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from workers.web.deps import SettingsDep
from workers.web.errors import ApiError


def _unauthorized(ru: str, en: str) -> ApiError:
    return ApiError(401, ru, en, headers={"WWW-Authenticate": 'Bearer realm="complaints"'})


async def api_client(request: Request, settings: SettingsDep) -> str:
    """The name of the API client owning the presented token."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized(
            "Требуется заголовок Authorization: Bearer <токен>.",
            "An Authorization: Bearer <token> header is required.",
        )
    presented = token.encode()
    owner: str | None = None
    for name, secret in settings.api_tokens.items():
        expected = secret.get_secret_value().encode()
        # Compare with every token (no early exit), so timing does not tell how many exist.
        if expected and hmac.compare_digest(presented, expected):
            owner = name
    if owner is None:
        raise _unauthorized("Токен доступа недействителен.", "The access token is not valid.")
    return owner


ApiClientDep = Annotated[str, Depends(api_client)]
