"""Where each mailbox's intake stopped: (mailbox, UIDVALIDITY, last_uid) in a JetStream Key-Value bucket.

The checkpoint lives in NATS (file storage, replicated like the streams), not in the SQL store, so
the channel layer needs nothing but the broker it publishes to. It only ever moves forward within
one UIDVALIDITY; a lost or stale checkpoint costs re-publishing, never a lost mail (the INTAKE
stream dedups on the native id, the router on the Message-ID).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from channels.positions import PositionBucket, PositionStore


class Checkpoint(BaseModel):
    """Every UID <= last_uid of `folder` under `uidvalidity` is published (and marked)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mailbox: str
    folder: str
    uidvalidity: int
    last_uid: int
    updated_at: datetime | None = None


def _encode(checkpoint: Checkpoint) -> bytes:
    return checkpoint.model_copy(update={"updated_at": datetime.now(UTC)}).model_dump_json().encode()


CHECKPOINTS: PositionBucket[Checkpoint] = PositionBucket(
    "EMAIL_CHECKPOINTS", "IMAP intake checkpoints: (mailbox, UIDVALIDITY, last UID)", _encode,
    Checkpoint.model_validate_json)
CheckpointStore = PositionStore[Checkpoint]  # keyed by the mailbox's name
