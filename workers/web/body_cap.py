"""A cap on every staff form's body while it streams. The REST API and the webhooks read their bodies
themselves, after the token or secret, with their own caps (workers.web.api.body); the staff forms are parsed
by Starlette (the login form before anyone is known), so this middleware bounds them: a declared
Content-Length over the cap is refused before a byte is read, a body streaming past it is cut off with 413."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FORM_MAX_BYTES = 512 * 1024  # a 25,000-character Cyrillic field is ~150 KB percent-encoded
# Read by their own handlers, capped there: the REST API and the channels' webhooks.
OWN_CAPS = ("/api/", "/channels/")
UPLOAD_FIELDS_BYTES = 64 * 1024  # the text fields and multipart boundaries beside an uploaded scan
TOO_LARGE = "Запрос слишком большой. / The request body is too large.".encode()


class BodyTooLarge(Exception):
    """The body streamed past the cap."""


class FormBodyCapMiddleware:
    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int | None]) -> None:
        self.app = app
        self.limit_for = limit_for  # path -> the cap, or None: the handler caps it itself

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send)
            return
        seen = 0
        exceeded = started = False

        async def capped_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def tracked_send(message: Message) -> None:
            # Whatever the app made of the cut-off body (FastAPI: a 400 "error parsing the body"), the
            # answer is the 413.
            nonlocal started
            if exceeded:
                if not started:
                    started = True
                    await _too_large(send)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, capped_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send) -> None:
    headers: list[tuple[bytes, bytes]] = [(b"content-type", b"text/plain; charset=utf-8"),
                                          (b"content-length", str(len(TOO_LARGE)).encode()),
                                          (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": TOO_LARGE})


def form_limits(upload_max_bytes: int) -> Callable[[str], int | None]:
    """The cap of each path: the scan upload has the scan channel's, the API and webhooks their own."""
    def limit_for(path: str) -> int | None:
        if path.startswith(OWN_CAPS):
            return None
        if path == "/scans/upload":
            return upload_max_bytes + UPLOAD_FIELDS_BYTES
        return FORM_MAX_BYTES
    return limit_for


__all__ = ["FORM_MAX_BYTES", "FormBodyCapMiddleware", "form_limits"]
