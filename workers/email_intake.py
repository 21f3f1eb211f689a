"""The email intake process: one IMAP task per configured mailbox, publishing to INTAKE on one NATS connection."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from nats.js.api import PubAck

from channels.base import RawSubmission
from channels.email.checkpoint import CheckpointStore
from channels.email.intake import MailboxIntake, UnreadableMail
from workers.runtime import finish_tasks, open_broker, publish_to_intake
from workers.settings import Settings
from workers.shunt import jetstream_of, record_at_edge

log = logging.getLogger("complaints.email")

SHUNT_STAGE = "email_intake"
STOP_TIMEOUT = 10.0


async def publish_mail(js: JetStreamContext, raw: RawSubmission, attempts: int = 3) -> PubAck:
    """Returns only after JetStream's PubAck; a timed-out publish is resent with the same Msg-Id."""
    return await publish_to_intake(js, raw, attempts)


async def record_unreadable(js: JetStreamContext, mail: UnreadableMail) -> PubAck:
    """A SHUNT record for a mail the server returned no bytes for (it stays unread in the mailbox)."""
    location = f"imap://{mail.mailbox}/{mail.folder};UIDVALIDITY={mail.uidvalidity}/;UID={mail.uid}"
    return await record_at_edge(js, SHUNT_STAGE, mail.reason, location, b"", f"email:{mail.native_id}")


@dataclass
class EmailIntake:
    """Start with `start()`, stop with `stop()`; `intakes` are the per-mailbox loops (one task each)."""

    settings: Settings
    nats_url: str | None = None
    imap_timeout: float = 30.0
    intakes: list[MailboxIntake] = field(default_factory=list, init=False)
    broker: NatsBroker = field(init=False)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)

    async def start(self) -> None:
        settings = self.settings
        self.broker = await open_broker(settings, self.nats_url)
        js = jetstream_of(self.broker)
        checkpoints = await CheckpointStore.open(js, settings.stream_replicas)

        async def publish(raw: RawSubmission) -> PubAck:
            return await publish_mail(js, raw)

        async def quarantine(mail: UnreadableMail) -> PubAck:
            return await record_unreadable(js, mail)

        self.intakes = [
            MailboxIntake(config, settings.blobs, checkpoints, publish, quarantine, stop=self._stop,
                          imap_timeout=self.imap_timeout)
            for config in settings.email_mailboxes
        ]
        self._tasks = [asyncio.create_task(intake.run(), name=f"email-intake:{intake.config.name}")
                       for intake in self.intakes]
        log.info("email intake running for %d mailbox(es)", len(self.intakes))

    async def stop(self) -> None:
        """Let each loop finish its batch (it checks `stop` between batches), then cancel the stragglers."""
        self._stop.set()
        await finish_tasks(self._tasks, STOP_TIMEOUT)
        await self.broker.stop()

    async def __aenter__(self) -> EmailIntake:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
