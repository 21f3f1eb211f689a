"""Properties of the scan readers: format detection and inspection (channels/scan/formats.py) refuse anything
they cannot open with BadSubmission only, whatever the bytes behind a magic number; the OCR field reader
(normalizer/scan/fields.py) never raises on any text and only reports numbers that are in it."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from channels.base import BadSubmission
from channels.scan.config import ScanConfig
from channels.scan.formats import JPEG, PDF, PNG, TIFF, detect, inspect, iter_pages
from normalizer.scan.fields import extract
from normalizer.scan.fields import numbers_fixed as fixed_numbers
from tests.property.strategies import hostile_text

CONFIG = ScanConfig(max_bytes=20_000, max_pages=5, max_pixels=1_000_000)
MAGIC = {PDF: b"%PDF-1.7\n", TIFF: b"II*\x00", PNG: b"\x89PNG\r\n\x1a\n", JPEG: b"\xff\xd8\xff"}
TIFF_BIG_ENDIAN = b"MM\x00*"


def image_bytes(fmt: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("L", size, 200).save(out, format=fmt)
    return out.getvalue()


@given(st.one_of(st.binary(max_size=2000),
                 st.builds(lambda magic, tail: magic + tail, st.sampled_from([*MAGIC.values(), TIFF_BIG_ENDIAN]),
                           st.binary(max_size=2000))))
def test_detect_and_inspect_refuse_only_with_bad_submission(data: bytes) -> None:
    try:
        content_type = detect(data, CONFIG)
    except BadSubmission:
        return
    assert (data.startswith(MAGIC[content_type]) or (content_type == PDF and b"%PDF-" in data[:1024])
            or (content_type == TIFF and data.startswith(TIFF_BIG_ENDIAN)))
    try:
        info = inspect(data, CONFIG)
    except BadSubmission:
        return
    assert info.content_type == content_type and 1 <= info.pages <= CONFIG.max_pages
    try:
        first = next(iter_pages(data, info, CONFIG))  # the OCR path: each page decoded, grayscale, square pixels
    except BadSubmission:
        return
    assert first.number == 1 and first.image.mode == "L"


@given(st.sampled_from(["PNG", "TIFF", "JPEG"]), st.integers(1, 64), st.integers(1, 64),
       st.integers(0, 200), st.binary(min_size=1, max_size=8))
def test_real_image_round_trips_and_its_truncation_is_refused(fmt: str, width: int, height: int, cut: int,
                                                              junk: bytes) -> None:
    data = image_bytes(fmt, (width, height))
    expected = {"PNG": PNG, "TIFF": TIFF, "JPEG": JPEG}[fmt]
    assert inspect(data, CONFIG).content_type == expected
    broken = data[: max(len(MAGIC[expected]), len(data) - cut - 1)] + junk
    try:
        inspect(broken, CONFIG)
    except BadSubmission:
        pass


@given(st.one_of(hostile_text, st.text(max_size=600)))
def test_ocr_field_reader_never_raises_and_reads_only_what_is_there(text: str) -> None:
    found = extract(text)
    numbers = fixed_numbers(text)
    for value in (*found.contracts, *found.accounts):
        assert value.replace("-", "") in numbers.replace("-", "").replace(" ", "") or value in numbers
    for phone in found.phones:
        assert phone.startswith("+")
