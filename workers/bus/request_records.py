"""The REST API's request records: a JetStream key-value bucket, one entry per accepted Idempotency-Key.

The key is the submission id (derived from the API client and its Idempotency-Key, so a resend maps to
the same entry); the value names the API client and the sha256 of the body. The edge claims an entry with
one atomic create on the broker it publishes to anyway: no database write on the hot path, so a request
never waits for the database's write lock behind the workers, and a reused key with another body is
refused even while the database is away.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BadRequestError
from nats.js.kv import KeyValue

BUCKET = "API_REQUESTS"
log = logging.getLogger("complaints.request_records")


@dataclass(frozen=True)
class RequestRecord:
    api_client: str
    body_sha256: str

    def encode(self) -> bytes:
        return json.dumps({"client": self.api_client, "sha256": self.body_sha256}).encode()

    @classmethod
    def decode(cls, value: bytes | None) -> RequestRecord | None:
        try:
            data = json.loads(value or b"")
            return cls(str(data["client"]), str(data["sha256"]))
        except (ValueError, KeyError, TypeError):
            return None


def bucket_config(replicas: int) -> KeyValueConfig:
    # No TTL: a key is remembered as long as the database used to remember it (for ever), so a reused key
    # with another body is a 409 however late it comes.
    return KeyValueConfig(bucket=BUCKET, description="REST API Idempotency-Key records", history=1,
                          storage=StorageType.FILE, replicas=replicas, direct=True)


async def declare_bucket(js: JetStreamContext, replicas: int) -> None:
    """Create the bucket if missing (idempotent for the same configuration)."""
    try:
        await js.create_key_value(bucket_config(replicas))
    except BadRequestError as exc:  # it exists with another configuration (e.g. replicas changed): keep it
        log.warning("the %s bucket exists with another configuration; it is used as it is (%s)", BUCKET,
                    exc.description)


def bucket(js: JetStreamContext) -> KeyValue:
    """The bucket's handle without a round trip (js.key_value() asks the server for the stream's info)."""
    return KeyValue(name=BUCKET, stream=f"KV_{BUCKET}", pre=f"$KV.{BUCKET}.", js=js, direct=True)
