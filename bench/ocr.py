"""Benchmark: OCR quality and pace on the generated test scans (tests/support/scans.py).

For each scan: the character error rate of the text the scan channel reads against the text drawn
(rapidfuzz Levenshtein distance / length, whitespace collapsed), the mean word confidence, and the seconds
per page (wall clock of `scan_submission`, one scan at a time, a warm 2-process OCR pool).

    uv run python bench/ocr.py
"""

from __future__ import annotations

# isort: off
import benchpath  # noqa: F401 - first: fixes sys.path before the stdlib `email` is imported
# isort: on

import asyncio
import os
import re
import time
from datetime import UTC, datetime

from rapidfuzz.distance import Levenshtein

from channels.blobs import MemoryBlobStore
from channels.scan.config import ScanConfig
from channels.scan.ocr import OcrPool
from channels.scan.payload import ScanPayload
from channels.scan.submission import scan_submission
from tests.support.scans import GOOD_MAKERS, GOOD_SCANS, draw_page


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


async def run() -> list[tuple[str, int, float, float | None, float]]:
    config = ScanConfig()
    rows = []
    with OcrPool(config.ocr_workers, languages=config.languages, timeout=config.ocr_timeout) as pool:
        await pool.preview(draw_page("прогрев"), 300)  # start the workers outside the timings
        for scan in GOOD_SCANS:
            data = GOOD_MAKERS[scan.filename]()
            started = time.perf_counter()
            raw = await scan_submission(MemoryBlobStore(), data, source="folder", filename=scan.filename,
                                        received_at=datetime.now(UTC), config=config, pool=pool)
            seconds = time.perf_counter() - started
            payload = ScanPayload.model_validate(raw.payload)
            expected = squeeze(scan.text)
            cer = Levenshtein.distance(squeeze(payload.text), expected) / len(expected)
            rows.append((scan.filename + (" (text layer)" if payload.text_layer else ""), len(payload.pages), cer,
                         payload.mean_confidence, seconds / len(payload.pages)))
    return rows


def main() -> None:
    rows = asyncio.run(run())
    print(f"ocr: {len(rows)} generated scans, Tesseract rus+eng, {os.cpu_count()} CPUs, "
          f"{ScanConfig().ocr_workers} OCR processes")
    print(f"  {'scan':<28} {'pages':>5} {'CER':>7} {'mean conf':>9} {'s/page':>7}")
    for name, pages, cer, confidence, per_page in rows:
        conf = f"{confidence:.1f}" if confidence is not None else "-"
        print(f"  {name:<28} {pages:>5} {cer * 100:>6.1f}% {conf:>9} {per_page:>7.2f}")


if __name__ == "__main__":
    main()
