"""Where the long polling stopped: OK's `marker` in a JetStream Key-Value bucket.

Saved only after every update of the batch it follows is published (PubAck). A lost or stale
marker costs re-publishing, never a lost message: the INTAKE stream drops repeats by
Nats-Msg-Id "ok:<mid>" and the router dedups on the mid.
"""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from channels.positions import open_bucket, read_value

BUCKET = "OK_LONGPOLL"
KEY = "marker"


class MarkerStore:
    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext, replicas: int = 1, bucket: str = BUCKET) -> MarkerStore:
        return cls(await open_bucket(js, bucket, replicas,
                                     "OK.ru long polling: the marker after the last published update"))

    async def load(self) -> str | None:
        value = await read_value(self.kv, KEY)
        return value.decode() if value else None

    async def save(self, marker: str) -> None:
        await self.kv.put(KEY, marker.encode())
