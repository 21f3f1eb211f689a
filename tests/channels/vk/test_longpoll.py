"""Bots Long Poll against the fake VK: the first start, failed 1/2/3, reconnects, events -> tickets.

What every polling intake promises (ts saved after the PubAcks, resumed, no duplicate after a crash, refused
publishes, bad events, a clean stop) is in test_contract.py (TestVkLongPoll)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from faststream.nats import NatsBroker

from channels.positions import PositionStore
from channels.vk.longpoll import TS, ts_key
from tests.channels.contract.common import intake_native_ids
from tests.channels.vk.conftest import GROUP_ID, lp_event, vk_config
from tests.channels.vk.test_callback import _async, native, ticket_of
from tests.support.fake_vk import FakeVk
from tests.support.loops import running as running_loop
from tests.support.waiting import eventually
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.bus.shunt import jetstream_of
from workers.channels.vk.process import LongPollLoop, VkLongPollProcess


@contextlib.asynccontextmanager
async def running(fake: FakeVk, broker: NatsBroker) -> AsyncIterator[LongPollLoop]:
    js = jetstream_of(broker)
    loop = LongPollLoop(vk_config(fake, mode="longpoll"), js, await PositionStore.open(js, TS))
    async with running_loop(loop):
        yield loop


async def _ids_when(broker: NatsBroker, n: int) -> list[str] | None:
    ids = await intake_native_ids(jetstream_of(broker))
    return ids if len(ids) >= n else None


async def test_the_very_first_start_begins_with_what_comes_next(fake_vk: FakeVk, vk_broker: NatsBroker) -> None:
    fake_vk.push_event(lp_event(1))  # before the very first start (no stored ts): VK starts "now"
    async with running(fake_vk, vk_broker):
        await eventually(lambda: _async(len(fake_vk.polls) >= 1))
        fake_vk.push_event(lp_event(2))
        fake_vk.push_event(lp_event(3))
        await eventually(lambda: _async(len(fake_vk.polls) >= 3))
        ids = await eventually(lambda: _ids_when(vk_broker, 2))
    assert ids == [f"{GROUP_ID}:{2:040x}", f"{GROUP_ID}:{3:040x}"]
    assert await (await PositionStore.open(jetstream_of(vk_broker), TS)).load(ts_key(GROUP_ID)) == "3"


@pytest.mark.parametrize("code", [1, 2, 3])
async def test_failed_answers_are_handled(code: int, fake_vk: FakeVk, vk_broker: NatsBroker) -> None:
    store = await PositionStore.open(jetstream_of(vk_broker), TS)
    await store.save(ts_key(GROUP_ID), "0")
    fake_vk.push_event(lp_event(1))
    fake_vk.fail_poll(code)
    async with running(fake_vk, vk_broker) as loop:
        if code == 3:  # VK lost the history: we continue from the new ts; what came later arrives
            await eventually(lambda: _async(loop.renewals >= 2))
            fake_vk.push_event(lp_event(2))
            ids = await eventually(lambda: _ids_when(vk_broker, 1))
            assert ids == [f"{GROUP_ID}:{2:040x}"]
        else:
            ids = await eventually(lambda: _ids_when(vk_broker, 1))
            assert ids == [f"{GROUP_ID}:{1:040x}"]
            if code == 2:
                assert loop.renewals == 2  # a new key, our own ts kept
                assert len(fake_vk.calls_to("groups.getLongPollServer")) == 2


async def test_unreachable_server_reconnects(fake_vk: FakeVk, vk_broker: NatsBroker) -> None:
    fake_vk.fail("groups.getLongPollServer", 10, times=2)
    async with running(fake_vk, vk_broker) as loop:
        await eventually(lambda: _async(loop.renewals >= 1))
        fake_vk.push_event(lp_event(7))
        await eventually(lambda: _ids_when(vk_broker, 1))
    assert len(fake_vk.calls_to("groups.getLongPollServer")) == 3


@pytest.mark.usefixtures("database_url")
async def test_long_poll_intake_end_to_end(
    vk_settings: Settings, vk_pipeline: Any, fake_vk: FakeVk, database: Database, nats_url: str
) -> None:
    settings = vk_settings.model_copy(update={"vk": vk_config(fake_vk, mode="longpoll")})
    async with VkLongPollProcess(settings, nats_url) as intake:
        assert intake.loop is not None
        await eventually(lambda: _async(intake.loop is not None and intake.loop.renewals >= 1))
        body = lp_event(9, "Нет связи, договор 12-000001")
        fake_vk.push_event(body)
        ticket = await eventually(lambda: ticket_of(database, native(body)))
        assert ticket.assignee_login is None  # a typed contract number is a claim, not proof of who writes
        await eventually(lambda: _async(fake_vk.sent_to(510001)))
