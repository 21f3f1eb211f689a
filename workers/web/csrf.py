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


def csrf_matches(request: Request, sent: object) -> bool:
    """Whether `sent` (a form's csrf_token) is this session's token."""
    expected = request.session.get(SESSION_KEY)
    return isinstance(sent, str) and isinstance(expected, str) and hmac.compare_digest(sent, expected)


async def verify_csrf(request: Request) -> None:
    """Dependency for POST forms (the form is parsed once; later Form() parameters reuse it)."""
    form = await request.form()
    if not csrf_matches(request, form.get(FIELD)):
        raise PageError(
            403,
            "Форма устарела или отправлена не из приложения. Обновите страницу и повторите действие.",
            title="Форма отклонена",
        )
