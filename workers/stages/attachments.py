"""Worker `attachments`: fetch the files a submission referenced on its platform into the blob store.

The router asks for it (an outbox row on `attachments.fetch`, written with the ticket); here each file
is downloaded from an allowed host, size-capped, stored content-addressed, and recorded on the ticket.
A network error or a 5xx/429 is retried with backoff (then shunted); a 4xx, an oversize file or a host
outside the allow-list is recorded with the reason and not retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from faststream.nats import NatsBroker, NatsMessage
from nats.aio.msg import Msg
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from channels.blobs import BlobStore
from normalizer.event import RemoteAttachment
from router.contracts import FetchRequest
from router.models import FetchedAttachment, Ticket
from router.outbox import ATTACHMENTS_SUBJECT
from router.timeutil import utcnow
from workers.app.runtime import Database, Runtime
from workers.app.settings import Settings
from workers.bus.consumers import ConsumerSpec, batch_subscriber
from workers.bus.reliability import Settler
from workers.bus.shunt import jetstream_of

STAGE = "attachments"
SPEC = ConsumerSpec(durable="attachments", stream="ATTACHMENTS", subject=ATTACHMENTS_SUBJECT)
BATCH = 16
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class FetchUnavailable(RuntimeError):
    """Temporary: the platform's file server did not answer properly; retry later."""


@dataclass(frozen=True)
class Fetched:
    attachment: RemoteAttachment
    status: str  # fetched | failed | refused
    blob_key: str | None = None
    size: int | None = None
    detail: str | None = None


def host_allowed(url: str, hosts: Sequence[str]) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme in ("http", "https") and any(host == h or host.endswith("." + h) for h in hosts)


async def fetch_one(client: httpx.AsyncClient, blobs: BlobStore, item: RemoteAttachment,
                    settings: Settings) -> Fetched:
    if not host_allowed(item.url, settings.attachment_hosts):
        return Fetched(item, "refused", detail="адрес файла не из разрешённых (attachment_hosts)")
    limit = settings.attachment_max_bytes
    try:
        async with client.stream("GET", item.url) as response:
            if response.status_code == 429 or response.status_code >= 500:
                raise FetchUnavailable(f"HTTP {response.status_code} from the file server")
            if response.status_code >= 400:
                return Fetched(item, "failed", detail=f"сервер ответил HTTP {response.status_code}")
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data.extend(chunk)
                if len(data) > limit:
                    return Fetched(item, "failed", detail=f"файл больше {limit // (1024 * 1024)} МБ")
    except httpx.HTTPError as exc:
        raise FetchUnavailable(f"{type(exc).__name__} fetching an attachment") from exc
    key = await asyncio.to_thread(blobs.put, bytes(data))  # fsynced before it is recorded
    return Fetched(item, "fetched", blob_key=key, size=len(data))


def record(session: Session, request: FetchRequest, results: Sequence[Fetched]) -> None:
    """Idempotent: a redelivered request adds only what is not recorded yet."""
    submission = str(request.submission_id)
    done = set(session.scalars(select(FetchedAttachment.url).where(FetchedAttachment.submission_id == submission)))
    ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == request.ticket_number))
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {"submission_id": submission, "ticket_id": ticket_id, "name": r.attachment.name,
         "content_type": r.attachment.content_type, "url": r.attachment.url, "size": r.size,
         "blob_key": r.blob_key, "status": r.status, "detail": r.detail, "at": now}
        for r in results if r.attachment.url not in done
    ]
    if rows:
        session.execute(insert(cast(Table, FetchedAttachment.__table__)), rows)


async def fetch_request(request: FetchRequest, client: httpx.AsyncClient, database: Database,
                        settings: Settings) -> None:
    results = [await fetch_one(client, settings.blobs, item, settings) for item in request.attachments]
    await database.run_transaction(lambda session: record(session, request, results))


def register(broker: NatsBroker, runtime: Runtime, database: Database) -> None:
    settings = runtime.settings

    @batch_subscriber(broker, SPEC, runtime.streams.attachments, settings, BATCH, "FetchRequest -> blob store")
    async def fetch_attachments(bodies: list[bytes], msg: NatsMessage) -> None:
        messages: list[Msg] = msg.raw_message  # type: ignore[assignment]
        settler = Settler(STAGE, settings, jetstream_of(broker))
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
            for message in messages:
                try:
                    await fetch_request(FetchRequest.model_validate_json(message.data), client, database, settings)
                except Exception as exc:  # temporary: retried with backoff; permanent (bad JSON): shunted
                    await settler.failed(message, exc)
                else:
                    await message.ack()
