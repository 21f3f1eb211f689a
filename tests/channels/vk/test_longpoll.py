"""Bots Long Poll against the fake VK: events -> INTAKE -> tickets, ts persisted and resumed, failed 1/2/3."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from faststream.nats import NatsBroker

from channels.base import RawSubmission
from channels.vk.longpoll import TsStore
from tests.channels.vk.conftest import GROUP_ID, event, vk_config
from tests.channels.vk.test_callback import _async, native, ticket_of
from tests.support.fake_vk import FakeVk
from tests.support.waiting import eventually
from tests.web.conftest import stream_count
from workers.runtime import Database
from workers.settings import Settings
from workers.shunt import jetstream_of
from workers.vk_intake import LongPollLoop, VkLongPollIntake


def lp_event(n: int, text: str | None = None) -> dict[str, Any]:
    body = event("message_new")
    del body["secret"]  # long poll events carry no secret
    body["event_id"] = f"{n:040x}"
    body["object"]["message"] = {**body["object"]["message"], "conversation_message_id": 1000 + n,
                                 "id": 1000 + n, "text": text or f"Жалоба номер {n}"}
    return body


async def intake_native_ids(broker: NatsBroker) -> list[str]:
    js = jetstream_of(broker)
    info = await js.stream_info("INTAKE")
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1) if info.state.messages else ():
        msg = await js.get_msg("INTAKE", seq)
        assert msg.data is not None
        found.append(RawSubmission.model_validate_json(msg.data).native_id)
    return found


@contextlib.asynccontextmanager
async def running(fake: FakeVk, broker: NatsBroker) -> AsyncIterator[LongPollLoop]:
    js = jetstream_of(broker)
    loop = LongPollLoop(vk_config(fake, mode="longpoll"), js, await TsStore.open(js))
    task = asyncio.create_task(loop.run())
    try:
        yield loop
    finally:
        loop.stop.set()
        await asyncio.wait_for(task, 15)


async def test_events_are_handed_on_and_ts_resumes_after_a_restart(fake_vk: FakeVk, vk_broker: NatsBroker) -> None:
    fake_vk.push_event(lp_event(1))  # before the very first start (no stored ts): VK starts "now"
    async with running(fake_vk, vk_broker):
        await eventually(lambda: _async(len(fake_vk.polls) >= 1))
        fake_vk.push_event(lp_event(2))
        fake_vk.push_event(lp_event(3))
        await eventually(lambda: _async(len(fake_vk.polls) >= 3))
        ids = await eventually(lambda: _ids_when(vk_broker, 2))
    assert ids == [f"{GROUP_ID}:{2:040x}", f"{GROUP_ID}:{3:040x}"]
    store = await TsStore.open(jetstream_of(vk_broker))
    assert await store.load(GROUP_ID) == "3"

    # Down for a while: these come in meanwhile and must not be skipped after the restart.
    fake_vk.push_event(lp_event(4))
    fake_vk.push_event(lp_event(5))
    async with running(fake_vk, vk_broker):
        ids = await eventually(lambda: _ids_when(vk_broker, 4))
    assert ids[2:] == [f"{GROUP_ID}:{4:040x}", f"{GROUP_ID}:{5:040x}"]
    assert await store.load(GROUP_ID) == "5"


async def _ids_when(broker: NatsBroker, n: int) -> list[str] | None:
    ids = await intake_native_ids(broker)
    return ids if len(ids) >= n else None


async def test_a_crash_before_the_ts_is_stored_republishes_without_duplicates(
    fake_vk: FakeVk, vk_broker: NatsBroker
) -> None:
    store = await TsStore.open(jetstream_of(vk_broker))
    await store.save(GROUP_ID, "0")
    fake_vk.push_event(lp_event(1))
    fake_vk.push_event(lp_event(2))
    async with running(fake_vk, vk_broker):
        await eventually(lambda: _ids_when(vk_broker, 2))
    await store.save(GROUP_ID, "0")  # as if the process died after the PubAcks, before saving ts
    fake_vk.push_event(lp_event(3))
    async with running(fake_vk, vk_broker):
        ids = await eventually(lambda: _ids_when(vk_broker, 3))
        await eventually(lambda: _ts_is(store, "3"))
    assert ids == [f"{GROUP_ID}:{n:040x}" for n in (1, 2, 3)]
    assert await stream_count(vk_broker) == 3


async def _ts_is(store: TsStore, ts: str) -> bool:
    return await store.load(GROUP_ID) == ts


@pytest.mark.parametrize("code", [1, 2, 3])
async def test_failed_answers_are_handled(code: int, fake_vk: FakeVk, vk_broker: NatsBroker) -> None:
    store = await TsStore.open(jetstream_of(vk_broker))
    await store.save(GROUP_ID, "0")
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
    async with VkLongPollIntake(settings, nats_url) as intake:
        assert intake.loop is not None
        await eventually(lambda: _async(intake.loop is not None and intake.loop.renewals >= 1))
        body = lp_event(9, "Нет связи, договор 12-000001")
        fake_vk.push_event(body)
        ticket = await eventually(lambda: ticket_of(database, native(body)))
        assert ticket.assignee_login == "m.petrova"
        await eventually(lambda: _async(fake_vk.sent_to(510001)))
