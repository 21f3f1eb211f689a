"""Where the long polling stopped: OK's `marker` in a JetStream Key-Value bucket.

Saved only after every update of the batch it follows is published (PubAck). A lost or stale
marker costs re-publishing, never a lost message: the INTAKE stream drops repeats by
Nats-Msg-Id "ok:<mid>" and the router dedups on the mid.
"""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue

BUCKET = "OK_LONGPOLL"
KEY = "marker"


class MarkerStore:
    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext, replicas: int = 1, bucket: str = BUCKET) -> MarkerStore:
        try:
            return cls(await js.key_value(bucket))
        except BucketNotFoundError:
            config = KeyValueConfig(bucket=bucket, history=1, storage=StorageType.FILE, replicas=replicas,
                                    description="OK.ru long polling: the marker after the last published update")
            return cls(await js.create_key_value(config))

    async def load(self) -> str | None:
        try:
            entry = await self.kv.get(KEY)
        except KeyNotFoundError:
            return None
        return entry.value.decode() if entry.value else None

    async def save(self, marker: str) -> None:
        await self.kv.put(KEY, marker.encode())
