"""The blob store's disk full (a 2 MB tmpfs mounted at the blob directory) while the post room uploads a
scanned letter to the real `complaints web` process.

The upload gets a clear retryable answer (503, Retry-After, a Russian message on the staff form), nothing
half-written stays in the store (every file there is a whole blob named by its own hash, no temp files), no
submission was handed on (INTAKE unchanged, no submission row); after space is freed the same file is
accepted and becomes a ticket whose blobs all exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from router.models import Submission, Ticket
from tests.faults.outage_support import GatewayProcess, gateway_env, start_gateway, wait_http
from tests.support.directory import seed_directory
from tests.support.postgres import free_port
from tests.support.scans import text_pdf
from tests.support.waiting import eventually
from workers.app.runtime import Database, make_broker
from workers.app.settings import Settings
from workers.bus.shunt import jetstream_of

pytestmark = pytest.mark.faults

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
TMPFS_SIZE = 2 * 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs: the blob store's own disk, small enough to fill."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    path = tmp_path / "blobs"
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """A filler file taking all but `leave` bytes of the disk's free space."""
    filler = disk / "filler"
    stat = os.statvfs(disk)
    size = stat.f_bavail * stat.f_frsize - leave
    with filler.open("wb") as handle:
        handle.write(b"\0" * max(size, 0))
    return filler


def store_files(disk: Path) -> list[Path]:
    return [p for p in disk.rglob("*") if p.is_file() and p.name != "filler"]


def assert_nothing_half_written(disk: Path) -> None:
    for path in store_files(disk):
        assert not path.name.startswith(".tmp-"), f"a temporary file left behind: {path}"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert path.name == digest, f"{path} is not the whole blob its name promises"
        assert path.parent.name == digest[2:4] and path.parent.parent.name == digest[:2]


async def intake_count(nats_url: str) -> int:
    broker = make_broker(nats_url)
    await broker.connect()
    try:
        info = await jetstream_of(broker).stream_info("INTAKE")
        return int(info.state.messages)
    finally:
        await broker.stop()


async def log_in(client: httpx.AsyncClient, login: str) -> None:
    page = await client.get("/login")
    token = CSRF_RE.search(page.text)
    assert token, page.text[:500]
    done = await client.post("/login", data={"login": login, "password": "secret", "csrf_token": token.group(1),
                                             "next": "/"})
    assert done.status_code in (302, 303), done.text[:500]


async def upload(client: httpx.AsyncClient, data: bytes) -> httpx.Response:
    form = await client.get("/scans/upload")
    token = CSRF_RE.search(form.text)
    assert token, form.text[:500]
    return await client.post("/scans/upload", files={"file": ("letter.pdf", data, "application/pdf")},
                             data={"csrf_token": token.group(1), "envelope_sender": "Белова А. Д., г. Москва",
                                   "received_date": "2026-03-16", "channel": "post"})


async def submissions(database: Database) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Submission)) or 0)


async def test_upload_to_a_full_blob_store_is_refused_cleanly_then_accepted(
    small_disk: Path, data_dir: Path, nats_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=data_dir, NATS_URL=nats_url)
    database = Database.from_settings(settings)
    await database.migrate()
    async with database.sessions() as session, session.begin():
        await seed_directory(session)
    port = free_port()
    env = gateway_env(data_dir, nats_url, blob_dir=str(small_disk), web_port=port)
    workers = start_gateway(["worker", "normalize", "route", "relay", "deliver"], env, tmp_path / "workers.log")
    web: GatewayProcess | None = None
    letter = text_pdf()
    try:
        await asyncio.sleep(2.0)  # the workers declare the streams
        web = start_gateway(["web"], env, tmp_path / "web.log")
        await wait_http(f"http://127.0.0.1:{port}/healthz")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60.0) as client:
            await log_in(client, "op.anna")
            before = await intake_count(nats_url)

            # No room: a few kilobytes left, less than the letter and its page preview.
            filler = fill(small_disk, leave=4096)
            refused = await upload(client, letter)
            print(f"\nfull disk: {refused.status_code}, Retry-After {refused.headers.get('retry-after')}, "
                  f"{len(store_files(small_disk))} files in the store")
            assert refused.status_code == 503, refused.text[-2000:]
            assert refused.headers.get("retry-after", "").isdigit()
            assert "хранилище файлов переполнено" in refused.text
            assert "загрузите файл ещё раз позже" in refused.text
            assert_nothing_half_written(small_disk)
            assert await intake_count(nats_url) == before, "a submission was handed on without its blobs"
            assert web.alive()
            await asyncio.sleep(1.0)
            assert await submissions(database) == 0

            # Space freed: the same file is accepted and goes all the way to a ticket.
            filler.unlink()
            accepted = await upload(client, letter)
            assert accepted.status_code == 303, accepted.text[-2000:]
            assert accepted.headers["location"].startswith("/submissions/")
            assert await intake_count(nats_url) == before + 1

        async def routed() -> Submission | None:
            async with database.sessions() as session:
                return await session.scalar(select(Submission).where(Submission.ticket_id.is_not(None)))

        submission = await eventually(routed, within=60, every=0.3)
        assert submission is not None
        async with database.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Ticket)) == 1
        keys = set(re.findall(r"sha256:[0-9a-f]{64}", str(submission.event)))
        assert keys, "the routed scan names no blobs"
        for key in keys:
            digest = key.removeprefix("sha256:")
            assert (small_disk / digest[:2] / digest[2:4] / digest).is_file(), f"{key} is missing from the store"
        assert_nothing_half_written(small_disk)
    finally:
        if web is not None:
            web.stop()
        workers.stop()
        await database.close()
