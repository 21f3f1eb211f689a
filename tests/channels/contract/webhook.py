"""WebhookContract: what every webhook endpoint of a channel promises, written once, run per channel.

A channel's test module subclasses it (`class TestVkWebhook(WebhookContract)`) and provides the hooks:
the channel's settings (`channel_settings` fixture), its fake platform (`platform` fixture, to see that
nothing was said to it), recorded payloads from tests/data/<channel>/, how an authentic request and a
forged one are sent, how to read the channel's answer, and its cases (FORGERIES, MALFORMED, OTHER_KINDS:
one test each).

The endpoint runs in the real web app on a real nats-server (every stream declared), as in production.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import pytest
from faststream.nats import NatsBroker

from channels.base import RawSubmission
from tests.channels.contract.common import counted, intake_messages
from tests.support.gateway import web_client
from tests.web.conftest import connected_broker
from workers.app.runtime import Database, declare_all_streams
from workers.app.settings import Settings
from workers.bus.shunt import ShuntedMessage, jetstream_of, list_shunted
from workers.bus.streams import declare_streams

# (HTTP status, the channel's own word for the outcome: the body text, or its "outcome"/"detail" field)
Answer = tuple[int, str]


@dataclass(frozen=True)
class Forgery:
    """A request that is not from the platform: refused with `status`, counted on /metrics as `outcome`
    (None: refused before the channel's code runs, e.g. no route). `data` is the channel's own detail."""

    name: str
    status: int
    outcome: str | None
    data: Any = None


@dataclass(frozen=True)
class Malformed:
    """An authentic request whose body cannot be a submission: quarantined with `reason`, `kept` stored as
    the SHUNT record's data. `deduplicated`: a resend of it makes no second record."""

    name: str
    body: bytes
    reason: str
    kept: bytes
    deduplicated: bool = True


@dataclass(frozen=True)
class Ignored:
    """A documented event kind that is no complaint: answered, counted as `outcome`, not stored."""

    name: str
    body: bytes
    outcome: str


class WebhookContract:
    CHANNEL: ClassVar[str]  # the /metrics label and the INTAKE subject's last token
    SHUNT_STAGE: ClassVar[str]  # where the endpoint quarantines
    NATIVE_ID: ClassVar[str]  # of valid_payload()
    SECRETS: ClassVar[tuple[bytes, ...]]  # never stored, never in the answer to a forged request
    SOURCE: ClassVar[tuple[str, int]] = ("127.0.0.1", 40000)  # the client address the app sees
    ACCEPTED: ClassVar[Answer]
    DUPLICATE: ClassVar[Answer]
    UNAVAILABLE: ClassVar[Answer]  # the answer that makes the platform send it again
    QUARANTINED: ClassVar[Answer]
    IGNORED: ClassVar[Answer]
    OVERSIZE: ClassVar[Answer]
    OVERSIZE_REASON: ClassVar[str | None]  # None: refused unread, nothing kept; else quarantined with this reason
    ACCEPTED_OUTCOME: ClassVar[str] = "accepted"  # /metrics outcomes
    DUPLICATE_OUTCOME: ClassVar[str | None] = "duplicate"  # None: not told apart from accepted
    UNAVAILABLE_OUTCOME: ClassVar[str | None] = "unavailable"
    QUARANTINED_OUTCOME: ClassVar[str] = "quarantined"
    OVERSIZE_OUTCOME: ClassVar[str]
    # The channel's cases, a test each (see pytest_generate_tests).
    FORGERIES: ClassVar[Sequence[Forgery]]
    MALFORMED: ClassVar[Sequence[Malformed]]
    OTHER_KINDS: ClassVar[Sequence[Ignored]]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        for argument, cases in (("forgery", self.FORGERIES), ("malformed", self.MALFORMED),
                                ("ignored", self.OTHER_KINDS)):
            if argument in metafunc.fixturenames:
                metafunc.parametrize(argument, cases, ids=[case.name for case in cases])

    # --- hooks a channel provides, and a `platform` fixture (its conftest, or the class): the platform's server,
    # fake or real, kept as self.server

    @pytest.fixture
    def channel_settings(self) -> Settings:
        """The shared settings with this channel on, in webhook mode."""
        raise NotImplementedError

    def valid_payload(self) -> bytes:
        """A recorded complaint (tests/data/<channel>/), exactly as the platform sends it."""
        raise NotImplementedError

    def stored_payload(self, body: bytes) -> dict[str, Any]:
        """The RawSubmission payload the endpoint must keep for an authentic `body`: the JSON as received."""
        return json.loads(body)  # type: ignore[no-any-return]

    async def post(self, client: httpx.AsyncClient, body: bytes) -> httpx.Response:
        """An authentic request (right secret, path, source...) with this body."""
        raise NotImplementedError

    def forged_payloads(self, forgery: Forgery) -> list[bytes]:
        """What is sent forged (each is refused and counted on its own)."""
        return [self.valid_payload()]

    async def post_forged(self, forgery: Forgery, body: bytes) -> httpx.Response:
        """This body sent the way `forgery` says (a wrong secret, path, source address...)."""
        raise NotImplementedError

    def answer(self, response: httpx.Response) -> Answer:
        """(status, the channel's word for the outcome) of an answer."""
        raise NotImplementedError

    def elsewhere(self, settings: Settings) -> list[Settings]:
        """Settings where this endpoint must not exist: the channel off, or in its other (polling) mode."""
        raise NotImplementedError

    def said_to_platform(self) -> list[Any]:
        """What the gateway sent to the platform (messages, greetings)."""
        raise NotImplementedError

    # --- the harness

    @pytest.fixture(autouse=True)
    async def _webhook(self, channel_settings: Settings, database: Database, nats_url: str,
                       platform: Any) -> AsyncIterator[None]:
        self.settings, self.database, self.server = channel_settings, database, platform
        self.broker: NatsBroker = await connected_broker(nats_url, channel_settings)
        self.js = jetstream_of(self.broker)
        try:
            async with self.client_for(channel_settings) as client:
                self.client = client
                yield
        finally:
            await self.broker.stop()

    def client_for(self, settings: Settings, source: tuple[str, int] | None = None) -> httpx.AsyncClient:
        """The web app as the platform reaches it (from `source`, the channel's own address by default)."""
        return web_client(settings, self.database, self.broker, source or self.SOURCE)

    async def counted(self, outcome: str) -> int:
        page = await self.client.get("/metrics")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
        return counted(page.text, self.CHANNEL, outcome)

    async def stored(self) -> list[RawSubmission]:
        return [raw for raw, _ in await intake_messages(self.js)]

    async def shunted(self) -> list[ShuntedMessage]:
        return await list_shunted(self.js)

    # --- the contract

    async def test_a_recorded_message_is_accepted_after_the_puback_as_one_intake_message(self) -> None:
        body = self.valid_payload()
        before = await self.counted(self.ACCEPTED_OUTCOME)
        response = await self.post(self.client, body)
        assert self.answer(response) == self.ACCEPTED
        # The answer came after the PubAck: the submission is in the stream already, as received.
        [raw] = await self.stored()
        assert raw.native_id == self.NATIVE_ID and raw.channel.value == self.CHANNEL
        assert raw.payload == self.stored_payload(body)
        data = (await self.js.get_last_msg("INTAKE", f"intake.raw.{self.CHANNEL}")).data
        assert data is not None and all(secret not in data for secret in self.SECRETS)
        assert await self.counted(self.ACCEPTED_OUTCOME) == before + 1

    async def test_the_same_payload_again_is_a_duplicate(self) -> None:
        body = self.valid_payload()
        assert self.answer(await self.post(self.client, body)) == self.ACCEPTED
        before = await self.counted(self.DUPLICATE_OUTCOME) if self.DUPLICATE_OUTCOME else 0
        for _ in range(2):  # the platform resends (a slow or lost answer)
            assert self.answer(await self.post(self.client, body)) == self.DUPLICATE
        assert [raw.native_id for raw in await self.stored()] == [self.NATIVE_ID]
        if self.DUPLICATE_OUTCOME:
            assert await self.counted(self.DUPLICATE_OUTCOME) == before + 2

    async def test_a_forged_request_is_refused_counted_and_makes_nothing(self, forgery: Forgery) -> None:
        for body in self.forged_payloads(forgery):
            before = await self.counted(forgery.outcome) if forgery.outcome else 0
            response = await self.post_forged(forgery, body)
            assert response.status_code == forgery.status
            assert all(secret not in response.content for secret in self.SECRETS)
            if forgery.outcome:
                assert forgery.outcome.startswith("forged")
                assert await self.counted(forgery.outcome) == before + 1
        assert await self.stored() == []
        assert await self.shunted() == []
        assert self.said_to_platform() == []

    async def test_an_oversize_body_is_refused(self) -> None:
        data = json.loads(self.valid_payload())
        data["padding"] = "ж" * (1024 * 1024)  # 2 MiB of UTF-8: over every channel's cap
        body = json.dumps(data, ensure_ascii=False).encode()
        before = await self.counted(self.OVERSIZE_OUTCOME)
        assert self.answer(await self.post(self.client, body)) == self.OVERSIZE
        assert await self.counted(self.OVERSIZE_OUTCOME) == before + 1
        assert await self.stored() == []
        shunted = await self.shunted()
        if self.OVERSIZE_REASON is None:
            assert shunted == []
        else:
            [item] = shunted
            assert item.envelope.stage == self.SHUNT_STAGE and self.OVERSIZE_REASON in item.envelope.reason
            assert len(item.envelope.data) < len(body)  # not even kept whole

    async def test_a_broker_that_is_down_makes_the_platform_resend_and_keeps_nothing(self) -> None:
        await self.js.delete_stream("INTAKE")  # JetStream answers, but nothing can store the submission
        before = await self.counted(self.UNAVAILABLE_OUTCOME) if self.UNAVAILABLE_OUTCOME else 0
        assert self.answer(await self.post(self.client, self.valid_payload())) == self.UNAVAILABLE
        if self.UNAVAILABLE_OUTCOME:
            assert await self.counted(self.UNAVAILABLE_OUTCOME) == before + 1
        await declare_all_streams(self.broker, declare_streams(self.settings.duplicate_window))
        assert await self.stored() == [] and await self.shunted() == []
        # The platform sends it again once the broker is back: now it is taken, once.
        assert self.answer(await self.post(self.client, self.valid_payload())) == self.ACCEPTED
        assert [raw.native_id for raw in await self.stored()] == [self.NATIVE_ID]

    async def test_a_malformed_payload_the_quarantine_cannot_keep_is_sent_again(self, malformed: Malformed) -> None:
        await self.js.delete_stream("SHUNT")  # JetStream answers, but nothing can keep the bad payload
        assert self.answer(await self.post(self.client, malformed.body)) == self.UNAVAILABLE  # never a 500
        await declare_all_streams(self.broker, declare_streams(self.settings.duplicate_window))
        assert await self.shunted() == []
        # The platform sends it again once the broker is back: now it is kept with its reason.
        assert self.answer(await self.post(self.client, malformed.body)) == self.QUARANTINED
        [item] = await self.shunted()
        assert malformed.reason in item.envelope.reason

    async def test_a_malformed_authentic_payload_is_quarantined_with_the_reason(self, malformed: Malformed) -> None:
        before = await self.counted(self.QUARANTINED_OUTCOME)
        sent = 2 if malformed.deduplicated else 1  # a resend of the same body: still one record
        for _ in range(sent):
            assert self.answer(await self.post(self.client, malformed.body)) == self.QUARANTINED
        assert await self.counted(self.QUARANTINED_OUTCOME) == before + sent
        assert await self.stored() == []
        [item] = await self.shunted()
        assert item.envelope.stage == self.SHUNT_STAGE
        assert malformed.reason in item.envelope.reason
        assert item.envelope.data == malformed.kept
        assert all(secret not in item.envelope.data for secret in self.SECRETS)
        assert not item.envelope.replayable  # fixed at the source, never put back on a stream

    async def test_another_kind_of_event_is_answered_counted_and_not_stored(self, ignored: Ignored) -> None:
        before = await self.counted(ignored.outcome)
        assert self.answer(await self.post(self.client, ignored.body)) == self.IGNORED
        assert await self.counted(ignored.outcome) == before + 1
        assert await self.stored() == [] and await self.shunted() == []
        assert self.said_to_platform() == []

    async def test_the_endpoint_is_not_found_when_the_channel_is_off_or_in_another_mode(self) -> None:
        variants = self.elsewhere(self.settings)
        assert variants
        for settings in variants:
            async with self.client_for(settings) as client:
                assert (await self.post(client, self.valid_payload())).status_code == 404
        assert await self.stored() == []
