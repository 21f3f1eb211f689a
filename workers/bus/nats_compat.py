"""Compatibility shim between nats-py and FastStream's pull subscribers.

nats-py (2.16) raises the builtin `asyncio.TimeoutError` from `PullSubscription.fetch()` when a
batch request expires with nothing delivered, while FastStream's pull loops only suppress
`nats.errors.TimeoutError` (a subclass). The escaped error kills the consume task; FastStream's
supervisor restarts it, but a partially collected batch is left un-acked until `ack_wait` runs out,
which showed up as one-minute latency spikes. Re-raising it as the nats-py subclass lets the loops
treat an idle fetch as the empty result it is. Applied once, on import of workers.app.worker_set.

A batch fetch is workers.bus.pull_batches.fetch_batch (it returns what is waiting at once instead of
holding it for the whole collection window), and FastStream's batch loop hands each fetch over.
"""

from __future__ import annotations

import functools
from typing import Any

from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.client import JetStreamContext

from workers.bus import pull_batches

_PullSubscription = JetStreamContext.PullSubscription


def _patch_fetch() -> None:
    original = _PullSubscription.fetch
    if getattr(original, "__complaints_patched__", False):
        return

    @functools.wraps(original)
    async def fetch(
        self: Any, batch: int = 1, timeout: float | None = 5, heartbeat: float | None = None  # noqa: ASYNC109
    ) -> Any:
        try:
            if batch > 1 and heartbeat is None:  # what the stages' batch subscribers ask for
                return await pull_batches.fetch_batch(self, batch, timeout)
            return await original(self, batch, timeout, heartbeat)
        except NatsTimeoutError:
            raise
        except TimeoutError as exc:
            raise NatsTimeoutError from exc

    fetch.__complaints_patched__ = True  # type: ignore[attr-defined]
    _PullSubscription.fetch = fetch  # type: ignore[method-assign]


_patch_fetch()
pull_batches.install()
