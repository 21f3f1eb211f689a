"""What the web app opened on demand (a Bot API session, say), closed when the app stops."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

from fastapi import FastAPI

Closer = Callable[[], Awaitable[object]]


def on_close(app: FastAPI, close: Closer) -> None:
    closers: list[Closer] = app.state.closers
    closers.append(close)


async def close_all(app: FastAPI) -> None:
    closers: list[Closer] = app.state.closers
    while closers:
        close = closers.pop()
        with contextlib.suppress(Exception):  # shutting down: one failed close must not skip the others
            await close()
