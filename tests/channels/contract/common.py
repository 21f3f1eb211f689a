"""What the contract tests read on the real nats-server: the INTAKE stream, every publish attempt, /metrics."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import replace

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy
from nats.js.errors import NotFoundError

from channels.base import RawSubmission

INTAKE = "INTAKE"


async def intake_messages(js: JetStreamContext) -> list[tuple[RawSubmission, dict[str, str]]]:
    """Every submission stored in INTAKE (oldest first), with its headers."""
    try:
        info = await js.stream_info(INTAKE)
    except NotFoundError:
        return []
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1) if info.state.messages else ():
        try:
            msg = await js.get_msg(INTAKE, seq)
        except NotFoundError:
            continue
        assert msg.data is not None
        found.append((RawSubmission.model_validate_json(msg.data), dict(msg.headers or {})))
    return found


async def intake_native_ids(js: JetStreamContext) -> list[str]:
    return [raw.native_id for raw, _ in await intake_messages(js)]


@contextlib.asynccontextmanager
async def intake_refusing(js: JetStreamContext) -> AsyncIterator[None]:
    """INTAKE full with "discard new": JetStream answers every new publish with an error (no PubAck) until the
    block ends. Nothing else changes: the stream, its subjects and its dedup window stay as they are."""
    info = await js.stream_info(INTAKE)
    assert info.state.messages > 0, "a limit of 0 messages would mean no limit"
    await js.update_stream(replace(info.config, max_msgs=info.state.messages, discard=DiscardPolicy.NEW))
    try:
        yield
    finally:
        await js.update_stream(info.config)


class PublishSpy:
    """Every publish to INTAKE as the server sees it: a plain subscriber gets each attempt, the ones JetStream
    refuses or drops as duplicates included. It never answers, so it changes nothing for the publishers."""

    def __init__(self) -> None:
        self.native_ids: list[str] = []
        self._nc: Client | None = None

    async def start(self, nats_url: str) -> PublishSpy:
        self._nc = await nats.connect(nats_url)
        await self._nc.subscribe("intake.raw.>", cb=self._seen)
        await self._nc.flush()
        return self

    async def _seen(self, msg: Msg) -> None:
        self.native_ids.append(RawSubmission.model_validate_json(msg.data).native_id)

    def attempts(self, native_id: str) -> int:
        return self.native_ids.count(native_id)

    async def stop(self) -> None:
        if self._nc is not None:
            await self._nc.close()


def counted(metrics: str, channel: str, outcome: str) -> int:
    """A counter of GET /metrics (0 when it is not there yet)."""
    label = re.escape(outcome.replace("\\", "\\\\").replace('"', '\\"'))
    found = re.search(rf'^complaints_channel_requests_total\{{channel="{re.escape(channel)}",outcome="{label}"\}} '
                      r"(\d+)$", metrics, re.MULTILINE)
    return int(found.group(1)) if found else 0


async def truthy(value: object) -> object:
    """For `eventually` with a condition that is already at hand."""
    return value
