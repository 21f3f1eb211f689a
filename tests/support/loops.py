"""Running a polling loop (an object with `run()` and a `stop` event) for the length of a block."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any


@contextlib.asynccontextmanager
async def running(loop: Any, grace: float = 15.0) -> AsyncIterator[asyncio.Task[None]]:
    """The loop in a task; at the end of the block it is told to stop and must finish by itself."""
    task = asyncio.create_task(loop.run())
    try:
        yield task
    finally:
        loop.stop.set()
        await asyncio.wait_for(task, grace)
