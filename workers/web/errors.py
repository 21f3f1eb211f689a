"""Errors as the two audiences need them: JSON {"error", "error_en"} for the API, a page for staff."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from workers.web.messages import describe_all, summary

log = logging.getLogger(__name__)

API_PREFIX = "/api/"

HTTP_TITLES_RU = {
    400: "Некорректный запрос",
    401: "Требуется вход",
    403: "Доступ запрещён",
    404: "Не найдено",
    405: "Метод не поддерживается",
    409: "Конфликт",
    413: "Слишком большой запрос",
    422: "Данные не приняты",
    503: "Сервис временно недоступен",
}
HTTP_TITLES_EN = {
    400: "Bad request.",
    401: "Authentication required.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    409: "Conflict.",
    413: "Request too large.",
    422: "The data was rejected.",
    503: "Service temporarily unavailable.",
}


class ApiError(Exception):
    """An API answer other than success: a Russian and an English sentence, optional details."""

    def __init__(
        self,
        status: int,
        error: str,
        error_en: str,
        *,
        details: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(error_en)
        self.status = status
        self.error = error
        self.error_en = error_en
        self.details = list(details) if details is not None else None
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"error": self.error, "error_en": self.error_en}
        if self.details is not None:
            body["details"] = self.details
        return JSONResponse(body, status_code=self.status, headers=self.headers)


class PageError(Exception):
    """A staff page that cannot be shown: rendered as an error page in Russian."""

    def __init__(self, status: int, message: str, *, title: str | None = None, refusal: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.title = title or HTTP_TITLES_RU.get(status, "Ошибка")
        self.refusal = refusal


class LoginRequired(Exception):
    def __init__(self, next_path: str = "/") -> None:
        super().__init__("login required")
        self.next_path = next_path


def validation_error(errors: Sequence[Mapping[str, Any]], lead_ru: str, lead_en: str) -> ApiError:
    messages = describe_all(errors)
    ru, en = summary(messages, lead_ru, lead_en)
    return ApiError(422, ru, en, details=[m.as_json() for m in messages])


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def error_page(request: Request, error: PageError) -> Response:
    templates = request.app.state.templates
    response: Response = templates.TemplateResponse(
        request, "error.html", {"error": error}, status_code=error.status
    )
    return response


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    return error_page(request, exc)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if _is_api(request):
        ru = HTTP_TITLES_RU.get(status, "Ошибка") + "."
        return ApiError(status, ru, HTTP_TITLES_EN.get(status, "Error."), headers=exc.headers).response()
    return error_page(request, PageError(status, HTTP_TITLES_RU.get(status, "Ошибка") + "."))


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if _is_api(request):
        return validation_error(exc.errors(), "Запрос не принят.", "The request was rejected.").response()
    messages = describe_all(exc.errors())
    return error_page(request, PageError(422, " ".join(m.ru for m in messages) or "Данные некорректны."))


async def _unexpected(request: Request, exc: Exception) -> Response:
    # The class only: messages of unexpected errors may quote the data being processed.
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    if _is_api(request):
        return ApiError(500, "Внутренняя ошибка сервера. Повторите запрос позже.",
                        "Internal server error. Retry later.").response()
    return error_page(request, PageError(500, "Внутренняя ошибка. Повторите действие позже.", title="Ошибка"))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(PageError, _page_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(Exception, _unexpected)
