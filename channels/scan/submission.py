"""The RawSubmission of one scan: the file checked and read page by page (OCR in the worker pool, a PDF's
text layer where it has one), each page's preview and the original in the blob store, the ScanPayload filled.

The native id is the original's SHA-256 (`scan:<hex>`): the same scan twice is one submission.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import PurePath
from typing import TypeVar

from channels.base import Channel, RawSubmission, submission_id_for
from channels.blobs import BlobStore, blob_key
from channels.scan import formats
from channels.scan.config import ScanConfig
from channels.scan.ocr import OcrPool, PageOcr
from channels.scan.payload import OcrWord, ScanPage, ScanPayload, ScanSource

MAX_WORDS = 200  # the lowest-confidence words kept for the verify page
MAX_HINT = 512

T = TypeVar("T")

# pdfium must never be called from two threads at once (not even for different documents), so every file is
# opened and its pages rendered on this one thread.
_PAGES = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scan-pages")


def scan_native_id(data: bytes) -> str:
    return "scan:" + blob_key(data).removeprefix("sha256:")


async def scan_submission(
    blobs: BlobStore,
    data: bytes,
    *,
    source: ScanSource,
    filename: str,
    received_at: datetime,
    channel: Channel = Channel.POST,
    envelope_sender: str | None = None,
    received_date: date | None = None,
    fax_from: str | None = None,
    operator_id: str | None = None,
    config: ScanConfig,
    pool: OcrPool | None = None,
) -> RawSubmission:
    """Read and store one scan (call before publishing). BadSubmission: the file can never be read (the reason
    is Russian, for the operator). `pool`: the gateway's OCR pool; without one a pool lives for this call."""
    if channel not in (Channel.POST, Channel.FAX):
        raise ValueError(f"a scan arrives by post or fax, not {channel}")
    info = await _on_pages_thread(formats.inspect, data, config)
    own_pool = pool is None
    ocr = pool or OcrPool(config.ocr_workers, languages=config.languages, timeout=config.ocr_timeout)
    try:
        pages, words, layer = await _read_pages(blobs, data, info, config, ocr)
    finally:
        if own_pool:
            await asyncio.to_thread(ocr.close)
    key = await asyncio.to_thread(blobs.put, data)
    confidences = [word.confidence for word in words]
    payload = ScanPayload(
        source=source,
        blob_key=key,
        filename=_filename(filename),
        content_type=info.content_type,
        size=len(data),
        text_layer=layer,
        pages=pages,
        mean_confidence=round(sum(confidences) / len(confidences), 1) if confidences else None,
        words=sorted(words, key=lambda word: word.confidence)[:MAX_WORDS],
        envelope_sender=envelope_sender,
        received_date=received_date,
        fax_from=fax_from,
    )
    native_id = scan_native_id(data)
    hint = envelope_sender or fax_from
    return RawSubmission(
        submission_id=submission_id_for(channel, native_id),
        channel=channel,
        native_id=native_id,
        received_at=received_at,
        payload=payload.model_dump(mode="json"),
        sender_hint=hint[:MAX_HINT] if hint else None,
        operator_id=operator_id,
        blob_keys=[key],
    )


async def _read_pages(blobs: BlobStore, data: bytes, info: formats.ScanInfo, config: ScanConfig,
                      ocr: OcrPool) -> tuple[list[ScanPage], list[OcrWord], bool]:
    """Pages opened one at a time, at most `ocr_workers` of them in the pool at once. The flag: every page's
    text came from a PDF text layer."""
    slots = asyncio.Semaphore(config.ocr_workers)
    tasks: list[asyncio.Task[tuple[ScanPage, list[OcrWord]]]] = []
    layer = True

    async def one(page: formats.PageImage) -> tuple[ScanPage, list[OcrWord]]:
        try:
            return await _read_page(blobs, page, ocr)
        finally:
            slots.release()

    pages: Generator[formats.PageImage, None, None] = formats.iter_pages(data, info, config)
    try:
        while True:
            await slots.acquire()
            failed = next((task for task in tasks if task.done() and task.exception()), None)
            if failed:
                slots.release()
                await failed  # raises its error
            page = await _on_pages_thread(next, pages, None)
            if page is None:
                slots.release()
                break
            layer = layer and page.text is not None
            tasks.append(asyncio.ensure_future(one(page)))
        done = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    finally:
        await _on_pages_thread(pages.close)
    return [page for page, _ in done], [word for _, page_words in done for word in page_words], layer


async def _read_page(blobs: BlobStore, page: formats.PageImage, ocr: OcrPool) -> tuple[ScanPage, list[OcrWord]]:
    if page.text is not None:
        png, width, height = await ocr.preview(page.image, page.dpi)
        image_key = await asyncio.to_thread(blobs.put, png)
        return ScanPage(number=page.number, text=page.text, image_key=image_key, width=width, height=height), []
    result: PageOcr = await ocr.recognize(page.image, number=page.number, dpi=page.dpi)
    image_key = await asyncio.to_thread(blobs.put, result.preview_png)
    scan_page = ScanPage(number=page.number, text=result.text, mean_confidence=result.mean_confidence,
                         image_key=image_key, width=result.width, height=result.height)
    words = [OcrWord(text=word.text, confidence=word.confidence, page=page.number) for word in result.words]
    return scan_page, words


async def _on_pages_thread(function: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_PAGES, function, *args)


def _filename(name: str) -> str:
    """The file's own name (no folders), at most 255 characters with its extension kept."""
    base = PurePath(name.replace("\\", "/")).name or "scan"
    if len(base) <= 255:
        return base
    suffix = PurePath(base).suffix[:16]
    return base[: 255 - len(suffix)] + suffix
