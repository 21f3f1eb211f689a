"""`complaints worker post`: the watched folder on a real NATS and Tesseract. A scan dropped in the folder is
handed to INTAKE and then moved to processed/; a file that is no scan is kept in rejected/ with its reason
and recorded in SHUNT, and the folder keeps being watched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from faststream.nats import NatsBroker

from channels.base import RawSubmission
from channels.scan.config import ScanConfig
from tests.support.scans import clean_png
from tests.support.waiting import eventually
from tests.web.conftest import connected_broker, last_intake, stream_count
from workers.app.settings import Settings
from workers.channels.scan.process import ScanFolderProcess


@pytest.fixture
def folder_settings(settings: Settings, tmp_path: Path) -> Settings:
    watched = tmp_path / "scans"
    watched.mkdir()
    return settings.model_copy(update={"scan": ScanConfig(watch_dir=watched, poll_interval=0.2, ocr_workers=1)})


@pytest.fixture
async def broker(nats_url: str, folder_settings: Settings) -> AsyncIterator[NatsBroker]:
    broker = await connected_broker(nats_url, folder_settings)
    yield broker
    await broker.stop()


async def test_the_folder_hands_scans_on_and_keeps_bad_files_with_their_reason(
    folder_settings: Settings, broker: NatsBroker, nats_url: str
) -> None:
    watched = folder_settings.scan.watch_dir
    assert watched is not None
    process = ScanFolderProcess(folder_settings, nats_url)
    await process.start()
    try:
        (watched / "junk.docx").write_bytes(b"PK\x03\x04 not a scan")
        (watched / "letter.png").write_bytes(clean_png())

        async def handled() -> bool:
            return (watched / "processed" / "letter.png").exists() and (watched / "rejected" / "junk.docx").exists()
        await eventually(handled, within=60)
        published = await last_intake(broker, "post")
        assert published is not None
        raw = RawSubmission.model_validate_json(published)
        assert raw.payload["source"] == "folder" and "12-000001" in raw.payload["pages"][0]["text"]
        assert "неизвестный формат" in (watched / "rejected" / "junk.docx.reason.txt").read_text(encoding="utf-8")
        assert await stream_count(broker, "SHUNT") == 1
        # Still watching: the next file is taken too.
        (watched / "second.png").write_bytes(clean_png(("Второе письмо. Договор № 12-000002",)))

        async def second() -> bool:
            return (watched / "processed" / "second.png").exists()
        await eventually(second, within=60)
        assert await stream_count(broker) == 2
    finally:
        await asyncio.wait_for(process.stop(), 30)
