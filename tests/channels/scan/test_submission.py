"""Each good scan read into a RawSubmission: the complaint's identifying fields found by OCR (tolerantly
where the scan is noisy), confidence kept, the text layer used, the original and previews stored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from channels.base import BadSubmission, Channel, RawSubmission
from channels.blobs import MemoryBlobStore
from channels.scan.config import ScanConfig
from channels.scan.ocr import OcrPool
from channels.scan.payload import ScanPayload
from channels.scan.submission import scan_submission
from tests.channels.scan.conftest import RECEIVED
from tests.support.scans import BAD_SCANS, CLEAN_PNG, EXPECTED, FAX_TIFF, GOOD_SCANS, TEXT_PDF, BadScan, GoodScan


def payload_of(raw: RawSubmission) -> ScanPayload:
    return ScanPayload.model_validate(raw.payload)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("scan", GOOD_SCANS, ids=lambda scan: scan.filename)
def test_ocr_finds_the_contract_name_and_phone(scanned: dict[str, RawSubmission], scan: GoodScan) -> None:
    payload = payload_of(scanned[scan.filename])
    text = squeeze(payload.text)
    digits = re.sub(r"\D", "", text)
    assert "12000001" in digits  # the contract number's digits, at least
    if scan.noisy:
        assert fuzz.partial_ratio(EXPECTED.name, text) >= 85
        assert fuzz.partial_ratio(EXPECTED.phone, text) >= 85
    else:
        assert EXPECTED.contract in text
        assert EXPECTED.name in text
        assert EXPECTED.phone in text
    assert len(payload.pages) == len(scan.pages)
    assert payload.content_type == scan.content_type


@pytest.mark.parametrize("scan", [s for s in GOOD_SCANS if not s.text_layer], ids=lambda scan: scan.filename)
def test_ocr_keeps_confidence(scanned: dict[str, RawSubmission], scan: GoodScan) -> None:
    payload = payload_of(scanned[scan.filename])
    assert not payload.text_layer
    assert payload.mean_confidence is not None and 0 < payload.mean_confidence <= 100
    assert all(page.mean_confidence is not None for page in payload.pages)
    assert payload.words and len(payload.words) <= 200
    confidences = [word.confidence for word in payload.words]
    assert confidences == sorted(confidences)  # the least sure first
    assert {word.page for word in payload.words} <= set(range(1, len(scan.pages) + 1))


def test_the_clean_scan_keeps_its_lines(scanned: dict[str, RawSubmission]) -> None:
    lines = payload_of(scanned[CLEAN_PNG.filename]).text.splitlines()
    assert "Телефон: +7 916 111-00-01" in lines
    assert any(EXPECTED.demand in line for line in lines)


def test_a_text_layer_pdf_is_not_ocred(scanned: dict[str, RawSubmission]) -> None:
    payload = payload_of(scanned[TEXT_PDF.filename])
    assert payload.text_layer
    assert payload.mean_confidence is None and payload.words == []
    assert payload.pages[0].mean_confidence is None
    assert EXPECTED.demand in payload.text and EXPECTED.address in payload.text


@pytest.mark.parametrize("scan", GOOD_SCANS, ids=lambda scan: scan.filename)
def test_the_original_and_page_previews_are_stored(scanned: dict[str, RawSubmission], scan_blobs: MemoryBlobStore,
                                                    scan_files: dict[str, Path], scan: GoodScan) -> None:
    raw = scanned[scan.filename]
    payload = payload_of(raw)
    original = scan_files[scan.filename].read_bytes()
    assert scan_blobs.get(payload.blob_key) == original
    assert raw.blob_keys == [payload.blob_key]
    assert raw.native_id == "scan:" + payload.blob_key.removeprefix("sha256:")
    assert payload.size == len(original) and payload.filename == scan.filename
    for page in payload.pages:
        assert page.image_key is not None
        assert scan_blobs.get(page.image_key).startswith(b"\x89PNG")
        assert page.width is not None and page.width <= 1300  # about 150 dpi
    assert raw.channel == (Channel.FAX if scan is FAX_TIFF else Channel.POST)


async def test_the_same_scan_twice_is_one_submission(scan_files: dict[str, Path], ocr_pool: OcrPool) -> None:
    data = scan_files[TEXT_PDF.filename].read_bytes()
    blobs = MemoryBlobStore()
    first, second = [await scan_submission(blobs, data, source="upload", filename=name, received_at=RECEIVED,
                                           config=ScanConfig(), pool=ocr_pool, operator_id="post.room",
                                           envelope_sender="Белова А. Д.")
                     for name in ("a.pdf", "b.pdf")]
    assert first.native_id == second.native_id and first.submission_id == second.submission_id
    assert first.dedup_key == second.dedup_key
    assert first.sender_hint == "Белова А. Д." and first.operator_id == "post.room"


@pytest.mark.parametrize("bad", BAD_SCANS, ids=lambda bad: bad.filename)
async def test_bad_files_make_no_submission(scan_files: dict[str, Path], ocr_pool: OcrPool, bad: BadScan) -> None:
    blobs = MemoryBlobStore()
    with pytest.raises(BadSubmission) as refused:
        await scan_submission(blobs, scan_files[bad.filename].read_bytes(), source="folder", filename=bad.filename,
                              received_at=RECEIVED, config=ScanConfig(), pool=ocr_pool)
    assert bad.reason in str(refused.value).lower()
    assert blobs.blobs == {}  # nothing stored for a file that is refused


async def test_a_page_over_the_timeout_is_refused(scan_files: dict[str, Path]) -> None:
    config = ScanConfig(ocr_timeout=0.01, ocr_workers=1)
    with pytest.raises(BadSubmission, match=r"распознавание не уложилось в 0.01 с \(страница 1\)"):
        await scan_submission(MemoryBlobStore(), scan_files[CLEAN_PNG.filename].read_bytes(), source="folder",
                              filename=CLEAN_PNG.filename, received_at=RECEIVED, config=config)
