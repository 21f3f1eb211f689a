"""The scan file checks: each type detected by its bytes, the caps, the fax resample, the bad files refused."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from PIL import Image

from channels.base import BadSubmission
from channels.scan import formats
from channels.scan.config import ScanConfig
from tests.support.scans import (
    BAD_SCANS,
    CLEAN_PNG,
    FAX_TIFF,
    GOOD_SCANS,
    IMAGE_PDF,
    TEXT_PDF,
    BadScan,
    GoodScan,
    draw_page,
    faxed,
)


@pytest.mark.parametrize("scan", GOOD_SCANS, ids=lambda scan: scan.filename)
def test_each_type_is_detected_by_its_bytes(scan_files: dict[str, Path], scan: GoodScan) -> None:
    info = formats.inspect(scan_files[scan.filename].read_bytes(), ScanConfig())
    assert info.content_type == scan.content_type
    assert info.pages == len(scan.pages)


@pytest.mark.parametrize("bad", BAD_SCANS, ids=lambda bad: bad.filename)
def test_bad_files_are_refused_with_a_clear_reason(scan_files: dict[str, Path], bad: BadScan) -> None:
    config = ScanConfig()
    data = scan_files[bad.filename].read_bytes()
    with pytest.raises(BadSubmission) as refused:
        info = formats.inspect(data, config)
        list(formats.iter_pages(data, info, config))
    assert bad.reason in str(refused.value).lower()


def test_the_page_cap_is_checked_before_rendering(scan_files: dict[str, Path]) -> None:
    with pytest.raises(BadSubmission, match=r"слишком много страниц: 5000 \(не больше 50\)"):
        formats.inspect(scan_files["5000-pages.pdf"].read_bytes(), ScanConfig())


def test_the_size_cap(scan_files: dict[str, Path]) -> None:
    with pytest.raises(BadSubmission, match="файл слишком большой"):
        formats.detect(scan_files[IMAGE_PDF.filename].read_bytes(), ScanConfig(max_bytes=1000))


def test_the_pixel_cap_refuses_before_decoding(scan_files: dict[str, Path]) -> None:
    config = ScanConfig(max_pixels=1_000_000)
    data = scan_files[CLEAN_PNG.filename].read_bytes()
    with pytest.raises(BadSubmission, match="изображение слишком большое: 2480×3508 пикселей"):
        list(formats.iter_pages(data, formats.inspect(data, config), config))


def test_a_fax_is_resampled_to_square_pixels(scan_files: dict[str, Path]) -> None:
    config = ScanConfig()
    data = scan_files[FAX_TIFF.filename].read_bytes()
    original = Image.open(io.BytesIO(data))
    assert original.info["dpi"] == (204, 98)
    pages = list(formats.iter_pages(data, formats.inspect(data, config), config))
    assert [page.number for page in pages] == [1, 2]
    for page in pages:
        assert page.dpi == 300
        # Back to the A4 proportions the page was drawn with: square pixels.
        assert abs(page.image.width / page.image.height - 2480 / 3508) < 0.01
        assert page.image.size == (round(original.width * 300 / 204), round(original.height * 300 / 98))


def test_square_pixels_are_left_alone() -> None:
    image = Image.new("L", (100, 100), 255)
    assert formats.square_pixels(image, (200.0, 200.0), ScanConfig()) == (image, 200.0)
    assert formats.square_pixels(image, None, ScanConfig()) == (image, None)
    fax = faxed(draw_page("Договор № 12-000001"), random.Random(1), xdpi=204, ydpi=196)
    resampled, dpi = formats.square_pixels(fax.convert("L"), (204.0, 196.0), ScanConfig())
    assert dpi == 300 and resampled.height > fax.height


def test_a_pdf_text_layer_is_used_and_pages_without_one_are_rendered(scan_files: dict[str, Path]) -> None:
    config = ScanConfig()
    layered = scan_files[TEXT_PDF.filename].read_bytes()
    (page,) = formats.iter_pages(layered, formats.inspect(layered, config), config)
    assert page.text is not None and "12-000001" in page.text and "Белова Анастасия Дмитриевна" in page.text
    scanned = scan_files[IMAGE_PDF.filename].read_bytes()
    pages = list(formats.iter_pages(scanned, formats.inspect(scanned, config), config))
    assert [page.text for page in pages] == [None, None]
    assert all(page.dpi == 300 and page.image.width > 2400 for page in pages)
