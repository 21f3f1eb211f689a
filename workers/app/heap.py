"""Garbage-collector settings for a long-running process (a worker, the web process)."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Garbage-collector settings for a long-running process; the first call in a process acts.

    What is loaded by then (modules, schemas, mappers: ~150k objects) lives as long as the process:
    frozen, it is no longer walked by every full collection (measured ~1 s of CPU per 8,000
    complaints in the route process; in the web process a full collection walking them was a pause of
    tens of milliseconds in the middle of requests). Batches and requests allocate many short-lived
    containers that reference counting frees anyway, so the youngest generation is collected less often
    too.
    """
    global _heap_settled
    if _heap_settled:
        return
    _heap_settled = True
    gc.collect()  # garbage must not be frozen with the rest
    gc.freeze()
    gc.set_threshold(20_000, 20, 100)


_heap_settled = False
