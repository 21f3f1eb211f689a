"""The email intake process: one IMAP task per configured mailbox, publishing to INTAKE on one NATS connection."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import PubAck

from channels.base import RawSubmission
from channels.email.checkpoint import CHECKPOINTS
from channels.email.mailbox import MailboxLoop, UnreadableMail
from channels.positions import PositionStore
from workers.app.service import ChannelProcess
from workers.bus.shunt import record_at_edge
from workers.channels.email.plugin import INTAKE_STAGE
from workers.channels.email.publish import publish_mail
from workers.channels.scan.fax_intake import hand_faxes_to_scan

log = logging.getLogger("complaints.email")

__all__ = ["EmailProcess", "publish_mail", "record_unreadable"]


async def record_unreadable(js: JetStreamContext, mail: UnreadableMail) -> PubAck:
    """A SHUNT record for a mail the server returned no bytes for (it stays unread in the mailbox)."""
    location = f"imap://{mail.mailbox}/{mail.folder};UIDVALIDITY={mail.uidvalidity}/;UID={mail.uid}"
    return await record_at_edge(js, INTAKE_STAGE, mail.reason, location, b"", f"email:{mail.native_id}")


@dataclass
class EmailProcess(ChannelProcess):
    """One IMAP loop per configured mailbox (`loops`), each checking `stopping` between batches."""

    imap_timeout: float = 30.0
    loops: list[MailboxLoop] = field(default_factory=list, init=False)

    async def open(self, js: JetStreamContext) -> dict[str, Coroutine[Any, Any, None]]:
        settings = self.settings
        checkpoints = await PositionStore.open(js, CHECKPOINTS, settings.stream_replicas)

        async def publish(raw: RawSubmission) -> PubAck:
            # A fax gateway's mail: its fax files go to the scan channel instead (workers.channels.scan).
            faxes = await hand_faxes_to_scan(js, settings, raw)
            return faxes if faxes is not None else await publish_mail(js, raw)

        async def quarantine(mail: UnreadableMail) -> PubAck:
            return await record_unreadable(js, mail)

        self.loops = [
            MailboxLoop(config, settings.blobs, checkpoints, publish, quarantine, stop=self.stopping,
                          imap_timeout=self.imap_timeout)
            for config in settings.email_mailboxes
        ]
        log.info("email intake running for %d mailbox(es)", len(self.loops))
        return {f"email-mailbox:{loop.config.name}": loop.run() for loop in self.loops}
