"""The RawSubmission of one mail: the raw bytes stay in the blob store, the stream carries the key."""

from __future__ import annotations

from datetime import datetime

from channels.base import Channel, RawSubmission, submission_id_for
from channels.blobs import BlobStore


def mail_native_id(mailbox: str, uidvalidity: int, uid: int) -> str:
    """`<mailbox>:<uidvalidity>:<uid>`; with the channel it is the Nats-Msg-Id `email:<mailbox>:<uidvalidity>:<uid>`."""
    return f"{mailbox}:{uidvalidity}:{uid}"


def mail_submission(
    blob_key: str, *, native_id: str, received_at: datetime, size: int, origin: dict[str, object] | None = None
) -> RawSubmission:
    """A mail already in the blob store. `origin` says where it came from (mailbox, uid, ...)."""
    return RawSubmission(
        submission_id=submission_id_for(Channel.EMAIL, native_id),
        channel=Channel.EMAIL,
        native_id=native_id,
        received_at=received_at,
        payload={"blob_key": blob_key, "size": size, **(origin or {})},
        blob_keys=[blob_key],
    )


def store_mail(blobs: BlobStore, data: bytes, *, native_id: str, received_at: datetime,
               origin: dict[str, object] | None = None) -> RawSubmission:
    """Store the raw bytes (fsynced) and describe them; call before publishing."""
    return mail_submission(blobs.put(data), native_id=native_id, received_at=received_at, size=len(data),
                           origin=origin)
