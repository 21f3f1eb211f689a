"""Poll the store until a condition holds (pipeline stages are asynchronous)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T]], *, within: float = 30.0, every: float = 0.05) -> T:
    """Return the first truthy result of `probe`; fail with the last result after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    result = await probe()
    while not result:
        if loop.time() > deadline:
            raise AssertionError(f"condition not reached in {within}s (last: {result!r})")
        await asyncio.sleep(every)
        result = await probe()
    return result
