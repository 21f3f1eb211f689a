"""Email channel fixtures: a real dovecot, and a harness running MailboxLoop loops on the real nats-server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from nats.js import JetStreamContext
from nats.js.api import PubAck
from nats.js.errors import NotFoundError

from channels.base import RawSubmission
from channels.blobs import FileBlobStore
from channels.email.checkpoint import CHECKPOINTS, Checkpoint, CheckpointStore
from channels.email.config import MailboxConfig
from channels.email.mailbox import MailboxLoop, UnreadableMail
from channels.positions import PositionStore
from tests.support.dovecot import DovecotServer, start_dovecot
from workers.app.runtime import declare_all_streams, make_broker
from workers.bus.shunt import jetstream_of
from workers.bus.streams import declare_streams
from workers.channels.email.process import publish_mail, record_unreadable


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    server = start_dovecot()
    yield server
    server.cleanup()


@pytest.fixture
def platform(dovecot: DovecotServer) -> DovecotServer:
    """The platform the channel contracts (tests/channels/contract/) talk to: a real dovecot."""
    return dovecot


def mailbox_config(server: DovecotServer, user: str = "claims", **overrides: object) -> MailboxConfig:
    values: dict[str, object] = {
        "name": user, "host": server.host, "port": server.port, "ssl": False, "username": user,
        "password": server.users[user], "poll_interval": 0.2,
    }
    values.update(overrides)
    return MailboxConfig.model_validate(values)


def mail(subject: str = "Нет интернета", body: str = "Второй день нет интернета.", sender: str = "client@example.ru",
         message_id: str | None = None) -> bytes:
    header_id = f"Message-ID: <{message_id}>\r\n" if message_id else ""
    return (
        f"From: {sender}\r\nTo: claims@operator.ru\r\nSubject: {subject}\r\n{header_id}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def make_unreadable(dovecot: DovecotServer, marker: bytes) -> None:
    """The stored mail containing `marker` can no longer be read by dovecot's mail process (never root)."""
    mail_dir = dovecot.base / "mail" / "claims"
    [path] = [p for p in mail_dir.glob("*/*") if p.is_file() and p.parent.name in ("cur", "new")
              and marker in p.read_bytes()]
    path.chmod(0)


@dataclass
class IntakeHarness:
    """MailboxLoop loops on a real NATS (streams declared), publishing like the email worker does."""

    js: JetStreamContext
    checkpoints: CheckpointStore
    blobs: FileBlobStore
    unreadable: list[UnreadableMail] = field(default_factory=list)
    acks: list[PubAck] = field(default_factory=list)
    running: list[tuple[MailboxLoop, asyncio.Task[None]]] = field(default_factory=list)

    def make(self, config: MailboxConfig, **kwargs: object) -> MailboxLoop:
        js = self.js

        async def publish(raw: RawSubmission) -> object:
            ack = await publish_mail(js, raw)
            self.acks.append(ack)
            return ack

        async def quarantine(item: UnreadableMail) -> object:
            self.unreadable.append(item)
            return await record_unreadable(js, item)

        kwargs.setdefault("imap_timeout", 5.0)
        return MailboxLoop(config, self.blobs, self.checkpoints, publish, quarantine, **kwargs)  # type: ignore[arg-type]

    def start(self, config: MailboxConfig, **kwargs: object) -> MailboxLoop:
        intake = self.make(config, **kwargs)
        self.running.append((intake, asyncio.create_task(intake.run())))
        return intake

    async def stop(self, intake: MailboxLoop) -> None:
        for item in list(self.running):
            if item[0] is intake:
                intake.stop.set()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(item[1], 15)
                self.running.remove(item)

    async def intake_messages(self) -> list[tuple[RawSubmission, dict[str, str]]]:
        """Every message in INTAKE (oldest first), with its headers."""
        try:
            info = await self.js.stream_info("INTAKE")
        except NotFoundError:
            return []
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1) if info.state.messages else ():
            try:
                msg = await self.js.get_msg("INTAKE", seq)
            except NotFoundError:
                continue
            assert msg.data is not None
            found.append((RawSubmission.model_validate_json(msg.data), dict(msg.headers or {})))
        return found

    async def checkpoint(self, mailbox: str) -> Checkpoint | None:
        return await self.checkpoints.load(mailbox)


@pytest.fixture
async def harness(nats_url: str, tmp_path: Path) -> AsyncIterator[IntakeHarness]:
    broker = make_broker(nats_url)
    await broker.connect()
    await declare_all_streams(broker, declare_streams(24 * 3600.0))
    js = jetstream_of(broker)
    result = IntakeHarness(js, await PositionStore.open(js, CHECKPOINTS), FileBlobStore(tmp_path / "blobs"))
    try:
        yield result
    finally:
        for intake, _ in result.running:
            intake.stop.set()
        for _, task in result.running:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 10)
        await broker.stop()
