"""Long polling (graph.user.updates) into the pipeline: updates -> tickets; restarts make no duplicates."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from channels.ok.position import MarkerStore
from router.models import Submission, Ticket
from tests.channels.ok.conftest import count, payload, seed_with_ok_identity
from tests.support.fake_ok import FakeOk
from tests.support.waiting import eventually
from workers.gateway import WorkerSet
from workers.intakes import INTAKES
from workers.ok_intake import OkLongPollIntake
from workers.runtime import Database
from workers.settings import Settings
from workers.shunt import jetstream_of, list_shunted

pytestmark = pytest.mark.ok_config(mode="longpoll", webhook_secret=None, poll_wait=0.2)


async def routed(database: Database, *mids: str) -> list[str]:
    async with database.sessions() as session:
        found = set(await session.scalars(select(Submission.native_id).where(Submission.native_id.in_(mids))))
    return sorted(found) if found == set(mids) else []


async def test_updates_become_tickets_and_restarts_do_not_duplicate(
    pipeline: WorkerSet, settings: Settings, database: Database, fake: FakeOk, nats_url: str
) -> None:
    assert INTAKES["ok"].enabled(settings)
    await seed_with_ok_identity(database)
    first, emoji = payload("message_created.json"), payload("message_emoji.json")
    for event in (payload("chat_system.json"), first, payload("unknown_type.json"), emoji):
        fake.push_update(event)
    async with OkLongPollIntake(settings, nats_url):
        await eventually(lambda: routed(database, first["message"]["mid"], emoji["message"]["mid"]))
    subscribed = fake.calls_to("/graph/me/subscribe")[0].body
    assert subscribed == {"types": ["MESSAGE_CREATED"], "longPolling": True}
    markers = await MarkerStore.open(jetstream_of(pipeline.broker))
    assert await markers.load() == "4"
    shunted = await list_shunted(jetstream_of(pipeline.broker))
    assert [s.envelope.stage for s in shunted] == ["ok_longpoll"]  # the unknown kind, kept with its reason

    # Restarted: it goes on from the saved marker.
    other = payload("message_other_client.json")
    fake.push_update(other)
    async with OkLongPollIntake(settings, nats_url):
        await eventually(lambda: routed(database, other["message"]["mid"]))
    resumed = [c for c in fake.calls_to("/graph/me/updates")][-1]
    assert resumed.query["marker"] == "5"
    assert await count(database, Ticket) == 3

    # A crash after publishing and before saving the marker: the next start reads everything again.
    await markers.save("0")
    asked = len(fake.calls_to("/graph/me/updates"))
    later = payload("message_rtl.json")
    async with OkLongPollIntake(settings, nats_url):
        await eventually(lambda: _asked_again_from_zero(fake, asked))
        fake.push_update(later)  # goes through the stream after the repeats
        await eventually(lambda: routed(database, later["message"]["mid"]))
    assert await count(database, Ticket) == 4
    assert await count(database, Submission) == 4
    assert len(await list_shunted(jetstream_of(pipeline.broker))) == 1


async def _asked_again_from_zero(fake: FakeOk, before: int) -> bool:
    """After the restart the poller read from marker 0 and then asked for what follows the replayed batch."""
    markers = [c.query.get("marker") for c in fake.calls_to("/graph/me/updates")[before:]]
    return "0" in markers and "5" in markers[markers.index("0"):]
