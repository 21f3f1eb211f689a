"""Where a channel's loop stopped (IMAP checkpoints, VK long-poll `ts`, OK markers): one PositionStore over
a JetStream key-value bucket, so the channel layer keeps its place without a database.

A position is saved only after every message before it has its PubAck. A lost or stale position costs
re-publishing, never a lost message: the INTAKE stream drops the repeats by Nats-Msg-Id.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue

T = TypeVar("T")
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class PositionBucket(Generic[T]):
    """A bucket of positions of one kind, and how a position is written in it."""

    name: str
    description: str
    encode: Callable[[T], bytes]
    decode: Callable[[bytes], T]


def text_positions(name: str, description: str) -> PositionBucket[str]:
    return PositionBucket(name, description, str.encode, bytes.decode)


def bucket_key(key: str) -> str:
    """KV keys allow only a small alphabet: other keys (a mailbox name, say) are base64url-encoded."""
    if _SAFE_KEY.match(key):
        return key
    return "b64." + base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


class PositionStore(Generic[T]):
    def __init__(self, kv: KeyValue, bucket: PositionBucket[T]) -> None:
        self.kv = kv
        self.bucket = bucket

    @classmethod
    async def open(cls, js: JetStreamContext, bucket: PositionBucket[T], replicas: int = 1) -> PositionStore[T]:
        """The bucket, created (file storage, only the latest value per key) on first use."""
        try:
            kv = await js.key_value(bucket.name)
        except BucketNotFoundError:
            kv = await js.create_key_value(KeyValueConfig(
                bucket=bucket.name, history=1, storage=StorageType.FILE, replicas=replicas,
                description=bucket.description))
        return cls(kv, bucket)

    async def load(self, key: str) -> T | None:
        """The saved position, or None when none was ever saved under `key`."""
        try:
            entry = await self.kv.get(bucket_key(key))
        except KeyNotFoundError:
            return None
        return self.bucket.decode(entry.value) if entry.value else None

    async def save(self, key: str, position: T) -> None:
        await self.kv.put(bucket_key(key), self.bucket.encode(position))
