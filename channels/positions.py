"""Durable positions of the channel intakes (IMAP checkpoints, long-poll ts and markers) in JetStream
key-value buckets: the channel layer keeps its place without a database."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue


async def open_bucket(js: JetStreamContext, bucket: str, replicas: int, description: str) -> KeyValue:
    """The bucket, created (file storage, only the latest value per key) on first use."""
    try:
        return await js.key_value(bucket)
    except BucketNotFoundError:
        config = KeyValueConfig(bucket=bucket, history=1, storage=StorageType.FILE, replicas=replicas,
                                description=description)
        return await js.create_key_value(config)


async def read_value(kv: KeyValue, key: str) -> bytes | None:
    """The stored value, or None when the key was never written (or holds nothing)."""
    try:
        entry = await kv.get(key)
    except KeyNotFoundError:
        return None
    return entry.value or None
