"""REST API authentication and authorization.

`Authorization: Bearer <token>` is checked against settings.api_tokens (401), then the route's scope
(403): `require_scope("tickets:read")` answers the API client's name, `acting_for("tickets:act")` the
client's name and the active staff member named by `X-On-Behalf-Of` (required for `tickets:act`).

Routes using these must not declare a body parameter: FastAPI reads and validates a declared body
before any dependency runs, so a stranger would see 413/422 instead of 401. Read the body in the
handler, as `feedback.py` does.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, NamedTuple

from fastapi import Depends, Header, Request
from sqlalchemy import select

from router.models import Staff
from workers.app.settings import ApiScope
from workers.web.deps import SessionDep, SettingsDep
from workers.web.errors import ApiError

ON_BEHALF_OF = "X-On-Behalf-Of"
_LOGIN_MAX = 64  # Staff.login
_HEADER_NEED = {True: "required", False: "optional"}


@dataclass(frozen=True)
class ApiCaller:
    """The API client whose token was presented, and what that token may call."""

    name: str
    scopes: frozenset[ApiScope]


class Acting(NamedTuple):
    """An API call on behalf of a staff member: the action is theirs, done "via" the API client."""

    api_client: str
    staff: Staff | None  # None only where the header is optional (tickets:read) and absent


def _unauthorized(ru: str, en: str) -> ApiError:
    return ApiError(401, ru, en, headers={"WWW-Authenticate": 'Bearer realm="complaints"'})


async def api_caller(request: Request, settings: SettingsDep) -> ApiCaller:
    """The API client owning the presented token (401 without a valid one)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized(
            "Требуется заголовок Authorization: Bearer <токен>.",
            "An Authorization: Bearer <token> header is required.",
        )
    presented = token.encode()
    owner: ApiCaller | None = None
    for name, entry in settings.api_tokens.items():
        expected = entry.token.get_secret_value().encode()
        # Compare with every token (no early exit), so timing does not tell how many exist.
        if expected and hmac.compare_digest(presented, expected):
            owner = ApiCaller(name, entry.scopes)
    if owner is None:
        raise _unauthorized("Токен доступа недействителен.", "The access token is not valid.")
    return owner


ApiCallerDep = Annotated[ApiCaller, Depends(api_caller)]


@cache  # one dependency per scope, so FastAPI runs it once per request however often it is named
def require_scope(scope: ApiScope) -> Callable[[ApiCaller], Awaitable[str]]:
    """A dependency answering the API client's name if its token has `scope` (else 403)."""

    async def api_client_with_scope(caller: ApiCallerDep) -> str:
        if scope not in caller.scopes:
            raise ApiError(
                403,
                f"Токену не разрешён этот вызов: нужна область доступа «{scope}».",
                f'The token is not allowed to make this call: it needs the scope "{scope}".',
            )
        return caller.name

    return api_client_with_scope


@cache
def acting_for(scope: ApiScope) -> Callable[..., Awaitable[Acting]]:
    """A dependency answering (API client, staff member named by X-On-Behalf-Of) for a call needing `scope`.

    The staff member must exist and be active (else 403); for `tickets:act` the header is required
    (else 400), elsewhere it is optional and the staff member is None without it. The row belongs to
    the request's database session (the handler's `SessionDep`).
    """
    required = scope == "tickets:act"

    # The token first, then the database. `client` is a default, not Annotated: annotations are
    # strings here, which FastAPI resolves in the module's globals only.
    async def acting_api_client(
        client: str = Depends(require_scope(scope)),
        on_behalf_of: str | None = Header(
            None, alias=ON_BEHALF_OF, description=f"login of an active staff member ({scope}: {_HEADER_NEED[required]})"
        ),
        *,
        session: SessionDep,
    ) -> Acting:
        login = (on_behalf_of or "").strip()
        if not login:
            if required:
                raise ApiError(
                    400,
                    f"Укажите сотрудника, от имени которого выполняется действие: заголовок {ON_BEHALF_OF}: <логин>.",
                    f"Name the staff member this action is performed for: an {ON_BEHALF_OF}: <login> header "
                    "is required.",
                )
            return Acting(client, None)
        staff = await session.scalar(select(Staff).where(Staff.login == login)) if len(login) <= _LOGIN_MAX else None
        if staff is None:
            shown = f" «{login}»" if len(login) <= _LOGIN_MAX and login.isprintable() else ""
            shown_en = f' "{login}"' if shown else ""
            raise ApiError(
                403,
                f"Сотрудник{shown} из заголовка {ON_BEHALF_OF} не найден: действовать от его имени нельзя.",
                f"The staff member{shown_en} named by {ON_BEHALF_OF} does not exist: the call cannot act for them.",
            )
        if not staff.active:
            raise ApiError(
                403,
                f"Сотрудник «{login}» из заголовка {ON_BEHALF_OF} отключён: действовать от его имени нельзя.",
                f'The staff member "{login}" named by {ON_BEHALF_OF} is deactivated: the call cannot act for them.',
            )
        return Acting(client, staff)

    return acting_api_client
