"""The watched folder on a real temp folder: published then moved, rejected with its reason, a failed publish
retried on the next poll, and the loop going on after a bad file."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from channels.base import RawSubmission
from channels.blobs import MemoryBlobStore
from channels.scan.config import ScanConfig
from channels.scan.ocr import OcrPool
from channels.scan.watcher import FolderWatcher
from tests.support.scans import CORRUPT_PDF, TEXT_PDF


class Outlet:
    """publish and quarantine as the gateway gives them; publish can be made to fail."""

    def __init__(self) -> None:
        self.published: list[RawSubmission] = []
        self.quarantined: list[tuple[str, str]] = []
        self.fail = False
        self.event = asyncio.Event()

    async def publish(self, raw: RawSubmission) -> None:
        if self.fail:
            raise ConnectionError("no PubAck")
        self.published.append(raw)
        self.event.set()

    async def quarantine(self, filename: str, reason: str) -> None:
        self.quarantined.append((filename, reason))
        self.event.set()


def watcher_for(folder: Path, outlet: Outlet, pool: OcrPool) -> FolderWatcher:
    return FolderWatcher(ScanConfig(watch_dir=folder, poll_interval=0.05), MemoryBlobStore(), outlet.publish,
                         outlet.quarantine, pool=pool)


async def test_a_good_file_is_published_then_moved(tmp_path: Path, scan_files: dict[str, Path],
                                                    ocr_pool: OcrPool) -> None:
    outlet = Outlet()
    watcher = watcher_for(tmp_path, outlet, ocr_pool)
    shutil.copy(scan_files[TEXT_PDF.filename], tmp_path / "letter.pdf")
    assert await watcher.poll_once() == []  # first seen: maybe still being written
    assert (tmp_path / "letter.pdf").exists()
    assert await watcher.poll_once() == ["letter.pdf"]
    (raw,) = outlet.published
    assert raw.payload["filename"] == "letter.pdf" and raw.payload["source"] == "folder"
    assert not (tmp_path / "letter.pdf").exists()
    assert (tmp_path / "processed" / "letter.pdf").read_bytes() == scan_files[TEXT_PDF.filename].read_bytes()
    assert await watcher.poll_once() == []  # processed/ is not read again


async def test_a_growing_or_hidden_file_is_left_alone(tmp_path: Path, scan_files: dict[str, Path],
                                                      ocr_pool: OcrPool) -> None:
    outlet = Outlet()
    watcher = watcher_for(tmp_path, outlet, ocr_pool)
    data = scan_files[TEXT_PDF.filename].read_bytes()
    (tmp_path / ".upload.pdf").write_bytes(data)
    (tmp_path / "growing.pdf").write_bytes(data[:1000])
    await watcher.poll_once()
    (tmp_path / "growing.pdf").write_bytes(data)
    assert await watcher.poll_once() == []
    assert outlet.published == [] and outlet.quarantined == []
    assert await watcher.poll_once() == ["growing.pdf"]
    assert (tmp_path / ".upload.pdf").exists()


async def test_a_bad_file_is_quarantined_with_its_reason(tmp_path: Path, scan_files: dict[str, Path],
                                                          ocr_pool: OcrPool) -> None:
    outlet = Outlet()
    watcher = watcher_for(tmp_path, outlet, ocr_pool)
    shutil.copy(scan_files[CORRUPT_PDF.filename], tmp_path / "broken.pdf")
    (tmp_path / "empty.tif").write_bytes(b"")
    await watcher.poll_once()
    assert sorted(await watcher.poll_once()) == ["broken.pdf", "empty.tif"]
    reasons = dict(outlet.quarantined)
    assert reasons["broken.pdf"].startswith("PDF повреждён")
    assert reasons["empty.tif"] == "пустой файл"
    assert (tmp_path / "rejected" / "broken.pdf").exists()
    assert (tmp_path / "rejected" / "broken.pdf.reason.txt").read_text(encoding="utf-8").startswith("PDF повреждён")
    assert (tmp_path / "rejected" / "empty.tif.reason.txt").read_text(encoding="utf-8") == "пустой файл\n"
    assert outlet.published == []
    assert not (tmp_path / "broken.pdf").exists() and not (tmp_path / "empty.tif").exists()


async def test_a_failed_publish_leaves_the_file_for_the_next_poll(tmp_path: Path, scan_files: dict[str, Path],
                                                                  ocr_pool: OcrPool) -> None:
    outlet = Outlet()
    watcher = watcher_for(tmp_path, outlet, ocr_pool)
    shutil.copy(scan_files[TEXT_PDF.filename], tmp_path / "letter.pdf")
    outlet.fail = True
    await watcher.poll_once()
    assert await watcher.poll_once() == []
    assert (tmp_path / "letter.pdf").exists() and not (tmp_path / "processed").exists()
    outlet.fail = False
    assert await watcher.poll_once() == ["letter.pdf"]
    assert len(outlet.published) == 1 and (tmp_path / "processed" / "letter.pdf").exists()


async def test_the_watcher_keeps_running_after_a_bad_file(tmp_path: Path, scan_files: dict[str, Path],
                                                          ocr_pool: OcrPool) -> None:
    outlet = Outlet()
    watcher = watcher_for(tmp_path, outlet, ocr_pool)
    stop = asyncio.Event()
    running = asyncio.create_task(watcher.run(stop))
    shutil.copy(scan_files[CORRUPT_PDF.filename], tmp_path / "broken.pdf")
    await asyncio.wait_for(outlet.event.wait(), 60)
    outlet.event.clear()
    assert [name for name, _ in outlet.quarantined] == ["broken.pdf"]
    shutil.copy(scan_files[TEXT_PDF.filename], tmp_path / "letter.pdf")
    await asyncio.wait_for(outlet.event.wait(), 60)
    assert [raw.payload["filename"] for raw in outlet.published] == ["letter.pdf"]
    assert not running.done()
    stop.set()
    await asyncio.wait_for(running, 10)
    assert (tmp_path / "processed" / "letter.pdf").exists() and (tmp_path / "rejected" / "broken.pdf").exists()


async def test_the_same_file_twice_has_the_same_native_id(tmp_path: Path, scan_files: dict[str, Path],
                                                          ocr_pool: OcrPool) -> None:
    outlet = Outlet()
    watcher = watcher_for(tmp_path, outlet, ocr_pool)
    for name in ("first.pdf", "again.pdf"):
        shutil.copy(scan_files[TEXT_PDF.filename], tmp_path / name)
        await watcher.poll_once()
        await watcher.poll_once()
    first, again = outlet.published
    assert first.native_id == again.native_id and first.submission_id == again.submission_id
