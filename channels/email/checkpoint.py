"""Where each mailbox's intake stopped: (mailbox, UIDVALIDITY, last_uid) in a JetStream Key-Value bucket.

The checkpoint lives in NATS (file storage, replicated like the streams), not in the SQL store, so
the channel layer needs nothing but the broker it publishes to. It only ever moves forward within
one UIDVALIDITY; a lost or stale checkpoint costs re-publishing, never a lost mail (the INTAKE
stream dedups on the native id, the router on the Message-ID).
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime

from nats.js import JetStreamContext
from nats.js.kv import KeyValue
from pydantic import BaseModel, ConfigDict

from channels.positions import open_bucket, read_value

BUCKET = "EMAIL_CHECKPOINTS"
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class Checkpoint(BaseModel):
    """Every UID <= last_uid of `folder` under `uidvalidity` is published (and marked)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mailbox: str
    folder: str
    uidvalidity: int
    last_uid: int
    updated_at: datetime | None = None


def checkpoint_key(mailbox: str) -> str:
    """KV keys allow only a small alphabet: names outside it are base64url-encoded."""
    if _SAFE_KEY.match(mailbox):
        return mailbox
    return "b64." + base64.urlsafe_b64encode(mailbox.encode()).decode().rstrip("=")


class CheckpointStore:
    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext, replicas: int = 1, bucket: str = BUCKET) -> CheckpointStore:
        return cls(await open_bucket(js, bucket, replicas,
                                     "IMAP intake checkpoints: (mailbox, UIDVALIDITY, last UID)"))

    async def load(self, mailbox: str) -> Checkpoint | None:
        value = await read_value(self.kv, checkpoint_key(mailbox))
        return Checkpoint.model_validate_json(value) if value else None

    async def save(self, checkpoint: Checkpoint) -> None:
        stamped = checkpoint.model_copy(update={"updated_at": datetime.now(UTC)})
        await self.kv.put(checkpoint_key(checkpoint.mailbox), stamped.model_dump_json().encode())
