"""Scan channel fixtures: the generated test scans (written once per session), one OCR pool, and each good
scan read once (OCR takes seconds a page; the tests share the results)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from channels.base import Channel, RawSubmission
from channels.blobs import MemoryBlobStore
from channels.scan.config import ScanConfig
from channels.scan.ocr import OcrPool
from channels.scan.submission import scan_submission
from tests.support.scans import FAX_TIFF, GOOD_SCANS, write_scans

RECEIVED = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def scan_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_scans(tmp_path_factory.mktemp("scans"))


@pytest.fixture(scope="session")
def scan_config() -> ScanConfig:
    return ScanConfig()


@pytest.fixture(scope="session")
def ocr_pool(scan_config: ScanConfig) -> Iterator[OcrPool]:
    with OcrPool(scan_config.ocr_workers, languages=scan_config.languages, timeout=scan_config.ocr_timeout) as pool:
        yield pool


@pytest.fixture(scope="session")
def scan_blobs() -> MemoryBlobStore:
    return MemoryBlobStore()


@pytest.fixture(scope="session")
def scanned(scan_files: dict[str, Path], scan_config: ScanConfig, ocr_pool: OcrPool,
            scan_blobs: MemoryBlobStore) -> dict[str, RawSubmission]:
    """Every good scan as the channel makes it: {filename: RawSubmission}."""

    async def read_all() -> list[RawSubmission]:
        return list(await asyncio.gather(*(
            scan_submission(scan_blobs, scan_files[scan.filename].read_bytes(), source="folder",
                            filename=scan.filename, received_at=RECEIVED,
                            channel=Channel.FAX if scan is FAX_TIFF else Channel.POST,
                            config=scan_config, pool=ocr_pool)
            for scan in GOOD_SCANS
        )))

    return {scan.filename: raw for scan, raw in zip(GOOD_SCANS, asyncio.run(read_all()), strict=True)}
