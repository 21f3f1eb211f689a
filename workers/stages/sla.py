"""Worker `sla`: the regulated clocks act. Every tick it fires the timers due by now (router.sla.fire: an
indexed read of the next due timers, each claimed once), so warnings and escalations reach the history, the
start page and (through the notify worker) the staff member's email. Replicas may run side by side: a timer
is claimed by a conditional UPDATE, so it fires once; a restart resumes from the table.

Time comes from an injected clock, so tests move it instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from router.sla.fire import Fired, tick
from router.timeutil import utcnow
from workers.app.runtime import Database
from workers.app.settings import Settings

log = logging.getLogger("complaints.sla")

STAGE = "sla"
Clock = Callable[[], datetime]


async def sla_once(database: Database, settings: Settings, now: datetime) -> list[Fired]:
    """One tick at `now`: everything due is fired (in transactions of up to TICK_LIMIT timers)."""
    calendar, policy = settings.calendar, settings.sla_policy
    fired: list[Fired] = []
    while True:
        batch = await database.run_transaction(lambda s: tick(s, calendar, policy, now))
        fired.extend(batch)
        if not batch:
            return fired


async def sla_forever(database: Database, settings: Settings, stop: asyncio.Event,
                      clock: Clock = utcnow) -> None:
    """Tick every `settings.sla_tick_seconds` until `stop` is set; a failed tick is retried next time."""
    while not stop.is_set():
        try:
            fired = await sla_once(database, settings, clock())
            if fired:
                log.info("sla: %d timer(s) fired (%d warnings/escalations recorded)", len(fired),
                         sum(1 for f in fired if f.outcome == "fired"))
        except Exception as exc:  # the database away: try again next tick, never die
            log.warning("sla: tick failed: %s", type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.sla_tick_seconds)
