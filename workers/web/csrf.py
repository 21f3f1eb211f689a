"""Per-session CSRF token: every form carries it, every state-changing POST checks it."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from workers.web.errors import PageError

SESSION_KEY = "csrf"
FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def rotate_csrf(request: Request) -> None:
    request.session[SESSION_KEY] = secrets.token_urlsafe(32)


async def verify_csrf(request: Request) -> None:
    """Dependency for POST forms (the form is parsed once; later Form() parameters reuse it)."""
    form = await request.form()
    sent = form.get(FIELD)
    expected = request.session.get(SESSION_KEY)
    if not isinstance(sent, str) or not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise PageError(
            403,
            "Форма устарела или отправлена не из приложения. Обновите страницу и повторите действие.",
            title="Форма отклонена",
        )
