"""OCR of one page image: preprocessing, Tesseract (`image_to_data`, per-word confidence), the page text with
its line breaks, and a small PNG preview for the operator. Runs in a process pool (`OcrPool`) so a page's
seconds of CPU never block the event loop; the functions the pool runs are top-level (spawn-safe).

Preprocessing, measured on the generated test scans (character error rate, Tesseract 5.3, rus+eng):
- the background flattened only when the paper's brightness varies (uneven light on a photo: 6.0% -> 0.0%);
- a Gaussian blur then an Otsu threshold (a resampled 1-bit fax with noise: 12.0% -> 0.4%; clean pages
  unchanged at 0.0-0.5%);
- small-angle deskew by projection profile (fax skewed 1.5°: 0.4% -> 0.0%; photo 1.1% -> 0.5%; +0.3-0.8 s
  a page), on;
- Tesseract OSD for 90° turns: none of the test scans is turned, it costs 1.3-3.8 s a page: off by default.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import multiprocessing
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from types import TracebackType

import pytesseract
from PIL import Image, ImageChops, ImageFilter, ImageOps

from channels.base import BadSubmission

PREVIEW_DPI = 150
PREVIEW_WIDTH = 1240  # when the resolution is unknown: about A4 at 150 dpi
DESKEW_RANGE = 3.0  # degrees either way
DESKEW_STEP = 0.25
DESKEW_WIDTH = 1000  # the profile is computed on a copy this wide
MIN_OSD_CONFIDENCE = 2.0
UNEVEN_LIGHT = 40  # gray levels between the darkest and brightest paper


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float
    line: int  # the line's index on the page


@dataclass(frozen=True)
class PageOcr:
    number: int
    text: str
    words: list[Word]
    mean_confidence: float | None  # None: no word recognised
    preview_png: bytes
    width: int  # of the preview
    height: int


def preprocess(image: Image.Image, *, upright: bool = False, straighten: bool = True,
               timeout: float = 0) -> Image.Image:
    """Grayscale, the background flattened when the lighting is uneven, smoothed and binarised; optionally
    turned upright (Tesseract OSD, off by default) and deskewed (see the module doc for why)."""
    gray = flatten_background(image.convert("L"))
    if upright:
        gray = orient(gray, timeout=timeout)
    if straighten:
        gray = deskew(gray)
    return smooth_binarize(gray)


def flatten_background(gray: Image.Image) -> Image.Image:
    """Paper white everywhere when the lighting is uneven (a phone photo): subtract the ink from a smooth
    estimate of the paper's brightness (the largest value around each point, blurred), then stretch the
    contrast. An evenly lit page is returned as it is."""
    small = gray.reduce(8) if min(gray.size) >= 400 else gray
    paper = small.filter(ImageFilter.MaxFilter(7)).filter(ImageFilter.GaussianBlur(4))
    darkest, brightest = paper.getextrema()
    if int(brightest) - int(darkest) < UNEVEN_LIGHT:  # type: ignore[arg-type]  # (min, max) of an "L" image
        return gray
    ink = ImageChops.subtract(paper.resize(gray.size), gray)  # how much darker than the paper
    return ImageOps.autocontrast(ImageOps.invert(ink))


def smooth_binarize(gray: Image.Image, radius: float = 1.5) -> Image.Image:
    """Blurred, then black and white at the Otsu threshold: a resampled 1-bit fax's jagged, noisy strokes
    become smooth ones and isolated noise pixels fade under the threshold."""
    blurred = gray.filter(ImageFilter.GaussianBlur(radius))
    threshold = otsu_threshold(blurred)
    return blurred.point(lambda v: 255 if v > threshold else 0)


def otsu_threshold(gray: Image.Image) -> int:
    """The gray level that best separates ink from paper (Otsu 1979: largest between-class variance)."""
    histogram = gray.histogram()[:256]
    total = sum(histogram)
    weighted = sum(level * count for level, count in enumerate(histogram))
    below = below_weighted = 0.0
    best, best_variance = 127, -1.0
    for level, count in enumerate(histogram):
        below += count
        if below == 0:
            continue
        above = total - below
        if above == 0:
            break
        below_weighted += level * count
        mean_below = below_weighted / below
        mean_above = (weighted - below_weighted) / above
        variance = below * above * (mean_below - mean_above) ** 2
        if variance > best_variance:
            best, best_variance = level, variance
    return best


def orient(gray: Image.Image, *, timeout: float = 0) -> Image.Image:
    """A page scanned sideways or upside down turned upright (Tesseract OSD); as it is when OSD is unsure."""
    try:
        osd = pytesseract.image_to_osd(gray, config="--psm 0", timeout=timeout)
    except pytesseract.TesseractError:
        return gray  # too few characters to tell
    rotate = re.search(r"Rotate:\s*(\d+)", osd)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", osd)
    if not rotate or not confidence or float(confidence.group(1)) < MIN_OSD_CONFIDENCE:
        return gray
    degrees = int(rotate.group(1)) % 360
    return gray.rotate(-degrees, expand=True, fillcolor=255) if degrees else gray


def skew_angle(gray: Image.Image) -> float:
    """The angle (degrees, counter-clockwise) that makes the text lines horizontal: the rotation whose row
    profile of ink is sharpest (largest sum of squared differences between neighbouring rows)."""
    scale = DESKEW_WIDTH / gray.width if gray.width > DESKEW_WIDTH else 1.0
    small = gray.resize((max(1, round(gray.width * scale)), max(1, round(gray.height * scale))),
                        Image.Resampling.BOX)
    ink = small.point(lambda v: 1 if v < 128 else 0)
    best, best_score = 0.0, -1.0
    steps = round(DESKEW_RANGE / DESKEW_STEP)
    for step in range(-steps, steps + 1):
        angle = step * DESKEW_STEP
        rotated = ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)
        rows = _row_sums(rotated)
        score = float(sum((a - b) ** 2 for a, b in itertools.pairwise(rows)))
        if score > best_score:
            best, best_score = angle, score
    return best


def deskew(gray: Image.Image) -> Image.Image:
    angle = skew_angle(gray)
    if angle == 0:
        return gray
    return gray.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=True)


def _row_sums(ink: Image.Image) -> list[int]:
    """Ink pixels per row of a 0/1 image (one resize to a single column sums each row)."""
    column = ink.point(lambda v: v * 255).resize((1, ink.height), Image.Resampling.BOX)
    return list(column.getdata())


def recognize(image: Image.Image, *, number: int, dpi: float | None, languages: str, timeout: float) -> PageOcr:
    """OCR of one page (runs in a worker process). A page over `timeout` seconds is a BadSubmission."""
    try:
        prepared = preprocess(image, timeout=timeout)
        data = pytesseract.image_to_data(prepared, lang=languages, output_type=pytesseract.Output.DICT,
                                         config=f"--psm 3 --dpi {round(dpi or 300)}", timeout=timeout)
    except RuntimeError as error:
        if "timeout" in str(error).lower():
            raise BadSubmission(f"распознавание не уложилось в {_seconds(timeout)} с (страница {number})") from None
        raise
    text, words = assemble(data)
    confidences = [word.confidence for word in words]
    mean = round(sum(confidences) / len(confidences), 1) if confidences else None
    png, width, height = preview_png(image, dpi)
    return PageOcr(number, text, words, mean, png, width, height)


def assemble(data: dict[str, list[object]]) -> tuple[str, list[Word]]:
    """The page text, a line break between lines and a blank line between paragraphs, and its words."""
    lines: list[list[str]] = []
    words: list[Word] = []
    breaks: list[bool] = []  # before each line: a new paragraph or block
    current: tuple[int, int, int] | None = None
    for i, raw in enumerate(data["text"]):
        word = str(raw).strip()
        confidence = float(str(data["conf"][i]))
        if not word or confidence < 0:
            continue
        key = (int(str(data["block_num"][i])), int(str(data["par_num"][i])), int(str(data["line_num"][i])))
        if key != current:
            breaks.append(current is not None and key[:2] != current[:2])
            lines.append([])
            current = key
        lines[-1].append(word)
        words.append(Word(word, min(100.0, max(0.0, confidence)), len(lines) - 1))
    text = ""
    for line, paragraph in zip(lines, breaks, strict=True):
        if text:
            text += "\n\n" if paragraph else "\n"
        text += " ".join(line)
    return text, words


def preview_png(image: Image.Image, dpi: float | None) -> tuple[bytes, int, int]:
    """The page at about PREVIEW_DPI as PNG, for the verify page, and its width and height."""
    scale = PREVIEW_DPI / dpi if dpi else PREVIEW_WIDTH / image.width
    if scale < 1:
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                             Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.convert("L").save(out, "PNG")
    return out.getvalue(), image.width, image.height


def _seconds(value: float) -> str:
    return f"{value:g}"


def _warm_up() -> None:
    """Imported in each new worker, so the first page does not pay for it."""


class OcrPool:
    """The OCR worker processes (spawned: no inherited event loop, sockets or locks). One per gateway process;
    `recognize` is awaited from asyncio."""

    def __init__(self, workers: int = 2, *, languages: str = "rus+eng", timeout: float = 60.0) -> None:
        self.languages = languages
        self.timeout = timeout
        self._executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_warm_up)

    async def recognize(self, image: Image.Image, *, number: int, dpi: float | None) -> PageOcr:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, _recognize_call,
                                          image, number, dpi, self.languages, self.timeout)

    async def preview(self, image: Image.Image, dpi: float | None) -> tuple[bytes, int, int]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, preview_png, image, dpi)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> OcrPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def _recognize_call(image: Image.Image, number: int, dpi: float | None, languages: str, timeout: float) -> PageOcr:
    return recognize(image, number=number, dpi=dpi, languages=languages, timeout=timeout)
