"""VK photos and documents: referenced by the event, then fetched into the blob store by the
attachments worker (real nats-server, SQLite and PostgreSQL; a file server on loopback)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from normalizer.event import RemoteAttachment
from normalizer.vk import remote_attachments
from router.models import FetchedAttachment, Ticket
from tests.channels.vk.conftest import event, post_event, vk_config
from tests.support.fake_vk import FakeVk
from tests.support.smtp import free_port
from tests.support.waiting import eventually
from tests.web.conftest import login
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.stages.attachments import host_allowed

pytestmark = pytest.mark.usefixtures("database_url")
PHOTO = b"\xff\xd8\xff\xe0" + b"jpeg-bytes" * 500
PDF = b"%PDF-1.7\n" + b"0" * 3000
LIMIT = 20_000


class FileServer:
    """Serves the platform's files; /flaky fails once with 503, /big is over the size cap."""

    def __init__(self) -> None:
        self.port = free_port()
        self.flaky_calls = 0
        self.runner: web.AppRunner | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        for path, data in (("/photo.jpg", PHOTO), ("/akt.pdf", PDF), ("/big.bin", b"x" * (LIMIT + 1))):
            app.router.add_get(path, self._serving(data))
        app.router.add_get("/flaky.pdf", self._flaky)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    @staticmethod
    def _serving(data: bytes) -> Any:
        async def handler(_request: web.Request) -> web.Response:
            return web.Response(body=data)

        return handler

    async def _flaky(self, _request: web.Request) -> web.Response:
        self.flaky_calls += 1
        return web.Response(status=503) if self.flaky_calls == 1 else web.Response(body=PDF)


@pytest.fixture
async def files() -> AsyncIterator[FileServer]:
    server = FileServer()
    await server.start()
    yield server
    assert server.runner is not None
    await server.runner.cleanup()


@pytest.fixture
def vk_settings(settings: Settings, fake_vk: FakeVk) -> Settings:
    return settings.model_copy(update={"vk": vk_config(fake_vk), "attachment_hosts": ["127.0.0.1"],
                                       "attachment_max_bytes": LIMIT})


def doc(url: str, title: str) -> dict[str, Any]:
    return {"type": "doc", "doc": {"id": 1, "owner_id": 510001, "title": title, "ext": title.rsplit(".", 1)[-1],
                                   "size": 100, "url": url}}


def with_files(files: FileServer) -> dict[str, Any]:
    body = copy.deepcopy(event("message_new_attachments"))
    attachments = body["object"]["message"]["attachments"]
    attachments[0]["photo"]["sizes"][-1]["url"] = f"{files.base}/photo.jpg"
    attachments[1]["doc"]["url"] = f"{files.base}/akt.pdf"
    attachments += [doc(f"{files.base}/missing.pdf", "missing.pdf"), doc(f"{files.base}/big.bin", "big.bin"),
                    doc(f"{files.base}/flaky.pdf", "flaky.pdf"), doc("https://evil.example/x.pdf", "x.pdf")]
    return body


async def recorded(database: Database) -> dict[str, FetchedAttachment]:
    async with database.sessions() as session:
        rows = list(await session.scalars(select(FetchedAttachment)))
    return {row.name: row for row in rows} if len(rows) == 6 else {}


async def test_referenced_files_are_fetched_into_the_blob_store(
    vk_pipeline: Any, vk_web: Any, vk_settings: Settings, database: Database, files: FileServer
) -> None:
    assert (await post_event(vk_web, with_files(files))).text == "ok"

    rows = await eventually(lambda: recorded(database))
    assert {name: row.status for name, row in rows.items()} == {
        "photo510001_457239017.jpg": "fetched", "akt.pdf": "fetched", "missing.pdf": "failed",
        "big.bin": "failed", "flaky.pdf": "fetched", "x.pdf": "refused",
    }
    photo = rows["photo510001_457239017.jpg"]
    assert photo.blob_key is not None and vk_settings.blobs.get(photo.blob_key) == PHOTO
    assert photo.size == len(PHOTO) and photo.content_type == "image/jpeg"
    assert rows["akt.pdf"].content_type == "application/pdf"
    assert "404" in (rows["missing.pdf"].detail or "") and rows["missing.pdf"].blob_key is None
    assert files.flaky_calls == 2  # a 503 is retried with backoff, then fetched once
    async with database.sessions() as session:
        ticket = await session.scalar(select(Ticket))
    assert ticket is not None and {row.ticket_id for row in rows.values()} == {ticket.id}

    # Staff see the files on the ticket and download them (never rendered inline).
    await login(vk_web, "m.petrova", "secret")
    card = await vk_web.get(f"/tickets/{ticket.number}")
    assert 'id="files"' in card.text and "akt.pdf" in card.text and "Не получен" in card.text
    download = await vk_web.get(f"/attachments/{photo.id}")
    assert download.status_code == 200 and download.content == PHOTO
    assert download.headers["content-disposition"].startswith("attachment;")
    assert (await vk_web.get(f"/attachments/{rows['missing.pdf'].id}")).status_code == 404


def test_the_event_references_photos_and_documents_with_urls() -> None:
    message = event("message_new_attachments")["object"]["message"]
    found = remote_attachments(message["attachments"])
    assert found == [
        RemoteAttachment(name="photo510001_457239017.jpg", content_type="image/jpeg",
                         url="https://sun9-1.userapi.com/s/v1/ig2/big.jpg?size=1920x1080"),
        RemoteAttachment(name="akt.pdf", content_type="application/pdf",
                         url="https://vk.com/doc510001_678901234?hash=abc&dl=xyz", size=48213),
    ]


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://sun9-1.userapi.com/x.jpg", True),
    ("https://vk.com/doc1_2", True),
    ("https://evil.example/x.jpg", False),
    ("https://userapi.com.evil.example/x.jpg", False),
    ("file:///etc/passwd", False),
    ("ftp://vk.com/x", False),
])
def test_only_platform_hosts_are_fetched(url: str, allowed: bool) -> None:
    assert host_allowed(url, ["userapi.com", "vk.com"]) is allowed
