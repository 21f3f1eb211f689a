"""PollingIntakeContract: what every polling intake promises (VK Bots Long Poll, OK long polling, Telegram
getUpdates, the IMAP intake), written once, run per channel.

The intake is the channel's own process class (`VkLongPollProcess(settings, nats_url)`...: start(), stop(),
an async context manager) against the channel's fake platform and a real nats-server. A channel provides
the hooks: its settings in polling mode, its fake platform, how to queue a recorded event there (and a bad
one), where the intake keeps its position (ts, marker, offset, checkpoint) and how to turn it back.

Every publish attempt is watched on the server (PublishSpy): what JetStream refused or dropped as a
duplicate shows there, what it stored shows in INTAKE.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from nats.js import JetStreamContext

from channels.base import RawSubmission
from tests.channels.contract.common import PublishSpy, intake_messages, intake_native_ids, intake_refusing
from tests.support.waiting import eventually
from tests.web.conftest import connected_broker
from workers.app.settings import Settings
from workers.bus.shunt import jetstream_of, list_shunted


@dataclass(frozen=True)
class Pushed:
    """An event queued on the fake platform: its native id (None for a bad one), the position the intake
    saves once it and everything before it is handed on, and what was queued (for a rewind to serve again)."""

    native_id: str | None
    position: Any
    queued: Any = None


class PollingIntakeContract:
    SHUNT_STAGE: ClassVar[str]  # where the intake quarantines a bad event
    BAD_REASON: ClassVar[str]  # part of the reason it gives for push_bad()'s event
    IN_ORDER: ClassVar[bool] = True  # False: the events of one batch are published at once, in any order

    # --- hooks a channel provides, and a `platform` fixture (its conftest, or the class): the platform's server,
    # fake or real, kept as self.server

    @pytest.fixture
    def intake_settings(self) -> Settings:
        """The shared settings with this channel on, in polling mode, talking to the fake."""
        raise NotImplementedError

    def make_intake(self) -> Any:
        """The channel's intake process on self.settings and self.nats_url (not started)."""
        raise NotImplementedError

    async def push(self) -> Pushed:
        """Queue the next recorded complaint on the platform (each call: a new one)."""
        raise NotImplementedError

    async def push_bad(self) -> Pushed:
        """Queue an event that cannot be a complaint (the intake must quarantine it and go on)."""
        raise NotImplementedError

    async def saved_position(self) -> Any:
        """Where the intake would resume from now."""
        raise NotImplementedError

    async def rewind(self, position: Any, pushed: list[Pushed]) -> None:
        """As if the intake died after the PubAcks of `pushed` and before saving the position past them."""
        raise NotImplementedError

    async def polling(self) -> bool:
        """The intake started and is waiting on the platform for news."""
        raise NotImplementedError

    async def marked(self, pushed: Pushed) -> bool | None:
        """Whether the platform was told the event is taken (IMAP \\Seen...); None: nothing is told there."""
        return None

    async def check_handed_off(self, pushed: Pushed, raw: RawSubmission, headers: dict[str, str]) -> None:
        """Channel-specific checks of a published event (the submission as stored, its headers)."""

    # --- the harness

    @pytest.fixture(autouse=True)
    async def _polling(self, intake_settings: Settings, platform: Any, nats_url: str) -> AsyncIterator[None]:
        self.settings, self.server, self.nats_url = intake_settings, platform, nats_url
        self.numbers: Iterator[int] = itertools.count(1)
        broker = await connected_broker(nats_url, intake_settings)
        self.js: JetStreamContext = jetstream_of(broker)
        self.spy = await PublishSpy().start(nats_url)
        try:
            yield
        finally:
            await self.spy.stop()
            await broker.stop()

    async def position_is(self, position: Any) -> bool:
        return bool(await self.saved_position() == position)

    async def stored_ids(self) -> list[str]:
        ids = await intake_native_ids(self.js)
        return ids if self.IN_ORDER else sorted(ids)

    def ids_of(self, *pushed: Pushed) -> list[str | None]:
        ids = [p.native_id for p in pushed]
        return ids if self.IN_ORDER else sorted(ids)  # type: ignore[type-var]

    async def handed_off(self, *pushed: Pushed) -> None:
        """Each is in INTAKE exactly once (in this order, where the channel keeps it), as the channel stores it,
        and marked where it is."""
        assert await self.stored_ids() == self.ids_of(*pushed)
        stored = {raw.native_id: (raw, headers) for raw, headers in await intake_messages(self.js)}
        for p in pushed:
            raw, headers = stored[p.native_id or ""]
            assert headers["Nats-Msg-Id"] == raw.dedup_key
            await self.check_handed_off(p, raw, headers)
            assert await self.marked(p) is not False

    # --- the contract

    async def test_events_are_published_then_the_position_saved_and_resumed_after_a_restart(self) -> None:
        async with self.make_intake():
            await eventually(self.polling)
            first = [await self.push(), await self.push()]
            await eventually(lambda: self.position_is(first[-1].position))
            # Saved only once the PubAcks were in: everything before the position is in the stream.
            assert await self.stored_ids() == self.ids_of(*first)
        # Down for a while: what comes meanwhile must not be skipped after the restart.
        later = [await self.push(), await self.push()]
        async with self.make_intake():
            await eventually(lambda: self.position_is(later[-1].position))
        await self.handed_off(*first, *later)

    async def test_a_restart_between_the_pubacks_and_the_save_reads_again_but_makes_no_duplicate(self) -> None:
        async with self.make_intake():
            await eventually(self.polling)
            start = await self.saved_position()
            first = [await self.push(), await self.push()]
            await eventually(lambda: self.position_is(first[-1].position))
        await self.rewind(start, first)  # the process died after the PubAcks, before saving the position
        third = await self.push()
        async with self.make_intake():
            await eventually(lambda: self.position_is(third.position))

            async def read_again() -> bool:
                return all(self.spy.attempts(p.native_id) >= 2 for p in first if p.native_id)

            await eventually(read_again)  # published again after the restart...
        await self.handed_off(*first, third)  # ...and dropped by the stream's dedup: one each
        assert await list_shunted(self.js) == []

    async def test_a_refused_publish_does_not_advance_the_position(self) -> None:
        async with self.make_intake():
            await eventually(self.polling)
            first = await self.push()
            await eventually(lambda: self.position_is(first.position))
            async with intake_refusing(self.js):
                second = await self.push()
                assert second.native_id is not None

                async def refused_twice() -> bool:
                    return self.spy.attempts(second.native_id) >= 2  # type: ignore[arg-type]

                await eventually(refused_twice)  # tried, refused (no PubAck), tried again...
                assert await self.saved_position() == first.position  # ...and never went past it
                assert await self.marked(second) is not True
                assert await self.stored_ids() == [first.native_id]
            await eventually(lambda: self.position_is(second.position))  # taken once JetStream takes it
        await self.handed_off(first, second)

    async def test_a_bad_event_is_quarantined_and_the_loop_goes_on(self) -> None:
        async with self.make_intake():
            await eventually(self.polling)
        bad = await self.push_bad()
        good = await self.push()
        assert bad.native_id is None
        async with self.make_intake():
            await eventually(lambda: self.position_is(good.position))  # the bad one did not stop it
        await self.handed_off(good)
        [item] = await list_shunted(self.js)
        assert item.envelope.stage == self.SHUNT_STAGE and self.BAD_REASON in item.envelope.reason
        assert not item.envelope.replayable

    async def test_stop_finishes_cleanly(self) -> None:
        before = asyncio.all_tasks()
        intake = self.make_intake()
        await intake.start()
        try:
            await eventually(self.polling)
            pushed = await self.push()
            await eventually(lambda: self.position_is(pushed.position))
            loops = [task for task in asyncio.all_tasks() - before if _coroutine_name(task) == "run"]
        finally:
            await intake.stop()
        assert loops, "the intake runs its loop in a task"
        # Told to stop, each loop returned by itself (not cancelled, no error)...
        assert all(task.done() and not task.cancelled() and task.exception() is None for task in loops)
        # ...and nothing it started is left running (its broker connection included).
        assert [task for task in asyncio.all_tasks() - before if not task.done() and _ours(task)] == []
        await self.handed_off(pushed)


def _coroutine_name(task: asyncio.Task[Any]) -> str:
    return getattr(task.get_coro(), "__name__", "")


def _ours(task: asyncio.Task[Any]) -> bool:
    """A task of the gateway's code or of its NATS client (not of the fake platform's web server)."""
    code = getattr(task.get_coro(), "cr_code", None)
    filename = code.co_filename if code is not None else ""
    return any(part in filename for part in ("/channels/", "/workers/", "/nats/", "/faststream/"))
