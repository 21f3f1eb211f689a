"""What a scan file is, whether it may be opened, and its pages as images ready for OCR (or text from a PDF's
text layer). Every refusal is a BadSubmission whose reason a post-room operator can read.

Caps are checked before anything is decoded: the size first, the page count from the file's structure (a
5,000-page PDF is refused without rendering a page), and each page's pixel count from its header (a
decompression bomb is refused before `load()`). Fax images with non-square pixels (204×98 dpi) are resampled
to square 300 dpi: OCR reads them as-is with ~40% character errors, resampled with ~3%.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Generator
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, ImageOps, ImageSequence

from channels.base import BadSubmission
from channels.scan.config import ScanConfig

PDF = "application/pdf"
TIFF = "image/tiff"
PNG = "image/png"
JPEG = "image/jpeg"
PIL_FORMATS = {TIFF: "TIFF", PNG: "PNG", JPEG: "JPEG"}

OCR_DPI = 300  # PDF pages are rendered, and non-square fax pixels resampled, at this resolution
PREVIEW_DPI = 150  # the page image shown to the operator
MIN_LAYER_LETTERS = 20  # a PDF page's text layer with fewer letters is a scan with an empty or junk layer
SQUARE_TOLERANCE = 0.02  # x and y resolution this close are square pixels


@dataclass(frozen=True)
class ScanInfo:
    content_type: str
    pages: int


@dataclass(frozen=True)
class PageImage:
    """One page. `text` set: the PDF's text layer, and `image` is only a preview at PREVIEW_DPI. Otherwise
    `image` (grayscale, square pixels) is to be read by OCR; `dpi` is its resolution when known."""

    number: int
    image: Image.Image
    dpi: float | None
    text: str | None = None


def detect(data: bytes, config: ScanConfig) -> str:
    """The content type from the magic bytes; empty, oversized and unknown files are refused."""
    if not data:
        raise BadSubmission("пустой файл")
    if len(data) > config.max_bytes:
        raise BadSubmission(f"файл слишком большой: {_megabytes(len(data))} МБ "
                            f"(не больше {_megabytes(config.max_bytes)} МБ)")
    if b"%PDF-" in data[:1024]:  # the header may follow some junk (PDF 1.7, 7.5.2)
        return PDF
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    raise BadSubmission("неизвестный формат файла: принимаются PDF, TIFF, PNG и JPEG")


def inspect(data: bytes, config: ScanConfig) -> ScanInfo:
    """Type and page count, with every cap checked that can be checked without rendering a page."""
    content_type = detect(data, config)
    if content_type == PDF:
        pdf = _open_pdf(data)
        try:
            pages = len(pdf)
        finally:
            pdf.close()
    else:
        image = _open_image(data, content_type)
        try:
            pages = getattr(image, "n_frames", 1)
        except (OSError, EOFError, SyntaxError, ValueError, TypeError, KeyError, struct.error) as error:
            # A truncated TIFF's frame count: Pillow raises TypeError (from a KeyError) for a missing tag.
            raise BadSubmission(f"изображение повреждено: {error}") from None
        finally:
            image.close()
    if pages < 1:
        raise BadSubmission("в файле нет страниц")
    if pages > config.max_pages:
        raise BadSubmission(f"слишком много страниц: {pages} (не больше {config.max_pages})")
    return ScanInfo(content_type, pages)


def iter_pages(data: bytes, info: ScanInfo, config: ScanConfig) -> Generator[PageImage, None, None]:
    """The pages one at a time (a 50-page scan is never all in memory at 300 dpi)."""
    if info.content_type == PDF:
        yield from _pdf_pages(data, config)
    else:
        yield from _image_pages(data, info.content_type, config)


def square_pixels(image: Image.Image, dpi: tuple[float, float] | None, config: ScanConfig,
                  number: int = 1) -> tuple[Image.Image, float | None]:
    """A non-square-pixel image (fax 204×98 dpi) resampled to square OCR_DPI; others as they are."""
    if not dpi or min(dpi) <= 0:
        return image, None
    xdpi, ydpi = dpi
    if abs(xdpi - ydpi) <= SQUARE_TOLERANCE * max(xdpi, ydpi):
        return image, xdpi
    size = (round(image.width * OCR_DPI / xdpi), round(image.height * OCR_DPI / ydpi))
    _check_pixels(size, config, number)
    return image.resize(size, Image.Resampling.LANCZOS), float(OCR_DPI)


def _open_pdf(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise BadSubmission("PDF защищён паролем") from None
        raise BadSubmission(f"PDF повреждён: {error}") from None


def _pdf_pages(data: bytes, config: ScanConfig) -> Generator[PageImage, None, None]:
    pdf = _open_pdf(data)
    try:
        for index in range(len(pdf)):
            number = index + 1
            try:
                page = pdf[index]
                try:
                    text = _layer_text(page)
                    dpi = PREVIEW_DPI if text is not None else OCR_DPI
                    width, height = page.get_size()
                    size = (round(width * dpi / 72), round(height * dpi / 72))
                    _check_pixels(size, config, number)
                    image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
                finally:
                    page.close()
            except pdfium.PdfiumError as error:
                raise BadSubmission(f"PDF повреждён: {error} (страница {number})") from None
            yield PageImage(number, image, float(dpi), text)
    finally:
        pdf.close()


def _layer_text(page: pdfium.PdfPage) -> str | None:
    """The page's text layer, when it has real text."""
    textpage = page.get_textpage()
    try:
        text = str(textpage.get_text_bounded())
    finally:
        textpage.close()
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()
    if sum(char.isalpha() for char in text) < MIN_LAYER_LETTERS:
        return None
    return text


def _open_image(data: bytes, content_type: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=[PIL_FORMATS[content_type]])
    except Image.DecompressionBombError as error:
        raise BadSubmission(f"изображение слишком большое: {_bomb_size(data, str(error))}") from None
    except (OSError, SyntaxError, ValueError, struct.error) as error:
        raise BadSubmission(f"изображение повреждено: {error}") from None
    return image


def _image_pages(data: bytes, content_type: str, config: ScanConfig) -> Generator[PageImage, None, None]:
    image = _open_image(data, content_type)
    try:
        for index, frame in enumerate(ImageSequence.Iterator(image)):
            number = index + 1
            _check_pixels(frame.size, config, number)  # from the header, before anything is decoded
            try:
                gray = _grayscale(ImageOps.exif_transpose(frame) if content_type == JPEG else frame)
                page, dpi = square_pixels(gray, _dpi(frame), config, number)
            except (OSError, SyntaxError, ValueError, struct.error) as error:
                raise BadSubmission(f"изображение повреждено: {error} (страница {number})") from None
            yield PageImage(number, page, dpi)
    except (OSError, EOFError, struct.error) as error:  # seeking to a broken next frame
        raise BadSubmission(f"изображение повреждено: {error}") from None
    finally:
        image.close()


def _grayscale(image: Image.Image) -> Image.Image:
    """Grayscale; transparent areas become white paper, not black."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("L")
    return image.convert("L")


def _dpi(image: Image.Image) -> tuple[float, float] | None:
    dpi = image.info.get("dpi")
    if not dpi or len(dpi) != 2:
        return None
    try:
        return float(dpi[0]), float(dpi[1])
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def _check_pixels(size: tuple[int, int], config: ScanConfig, number: int) -> None:
    width, height = size
    if width * height > config.max_pixels:
        where = f" (страница {number})" if number > 1 else ""
        raise BadSubmission(f"изображение слишком большое: {width}×{height} пикселей{where}, "
                            f"не больше {config.max_pixels // 1_000_000} млн пикселей на страницу")


def _bomb_size(data: bytes, message: str) -> str:
    """Width×height for the reason, when Pillow refused the image before we could look at it."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return f"{width}×{height} пикселей"
    found = re.search(r"\((\d+) pixels\)", message)
    return f"{int(found.group(1)) // 1_000_000} млн пикселей" if found else "больше допустимого"


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".rstrip("0").rstrip(".")
