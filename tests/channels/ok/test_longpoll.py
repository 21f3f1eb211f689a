"""Long polling (graph.user.updates) into the pipeline: the subscription, updates -> tickets, a restart.

What every polling intake promises (the marker saved after the PubAcks, no duplicate after a crash, refused
publishes, bad events, a clean stop) is in test_contract.py (TestOkLongPoll)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from channels.base import Channel
from channels.ok.longpoll import MARKER_KEY, MARKERS
from channels.positions import PositionStore
from router.models import Submission, Ticket
from tests.channels.ok.conftest import payload, seed_with_ok_identity
from tests.support.fake_ok import FakeOk
from tests.support.store import count
from tests.support.waiting import eventually
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.app.worker_set import WorkerSet
from workers.bus.shunt import jetstream_of, list_shunted
from workers.channels.ok.process import OkLongPollProcess
from workers.channels.registry import plugin_for

pytestmark = pytest.mark.ok_config(mode="longpoll", webhook_secret=None, poll_wait=0.2)


async def routed(database: Database, *mids: str) -> list[str]:
    async with database.sessions() as session:
        found = set(await session.scalars(select(Submission.native_id).where(Submission.native_id.in_(mids))))
    return sorted(found) if found == set(mids) else []


async def test_updates_become_tickets_and_a_restart_goes_on_from_the_marker(
    pipeline: WorkerSet, settings: Settings, database: Database, fake: FakeOk, nats_url: str
) -> None:
    assert (intake := plugin_for(Channel.OK).intake) is not None and intake.runs_when(settings)
    await seed_with_ok_identity(database)
    first, emoji = payload("message_created.json"), payload("message_emoji.json")
    for event in (payload("chat_system.json"), first, payload("unknown_type.json"), emoji):
        fake.push_update(event)
    async with OkLongPollProcess(settings, nats_url):
        await eventually(lambda: routed(database, first["message"]["mid"], emoji["message"]["mid"]))
    subscribed = fake.calls_to("/graph/me/subscribe")[0].body
    assert subscribed == {"types": ["MESSAGE_CREATED"], "longPolling": True}
    markers = await PositionStore.open(jetstream_of(pipeline.broker), MARKERS)
    assert await markers.load(MARKER_KEY) == "4"
    shunted = await list_shunted(jetstream_of(pipeline.broker))
    assert [s.envelope.stage for s in shunted] == ["ok_longpoll"]  # the unknown kind, kept with its reason

    # Restarted: it goes on from the saved marker.
    other = payload("message_other_client.json")
    fake.push_update(other)
    async with OkLongPollProcess(settings, nats_url):
        await eventually(lambda: routed(database, other["message"]["mid"]))
    resumed = [c for c in fake.calls_to("/graph/me/updates")][-1]
    assert resumed.query["marker"] == "5"
    assert await count(database, Ticket) == 3

