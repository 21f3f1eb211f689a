"""Test scans, generated at test time from known Russian complaint texts (no binaries in the repository).

Each good scan is the same complaint drawn with DejaVuSans at 300 dpi and then degraded the way a real
channel degrades it: a clean scan, a fax (204×98 dpi, 1-bit, noise, skew), a PDF of page images, a PDF with
a text layer, and a phone photo. The bad files are the ones the scan channel must reject with a reason.
`write_scans(folder)` writes them all; `GOOD_SCANS` / `BAD_SCANS` say what each file is and what to expect.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
TEXT_PDF_FONT = "ScanTestSans"
DPI = 300
PAGE_SIZE = (2480, 3508)  # A4 at 300 dpi
MARGIN = 200
FONT_PX = 50  # 12 pt at 300 dpi
LINE_PX = 72


@dataclass(frozen=True)
class ExpectedFields:
    """What the complaint says, as an extractor should find it."""

    name: str
    contract: str
    phone: str
    address: str
    date: str
    what: str
    amount: str
    grounds: str
    demand: str


EXPECTED = ExpectedFields(
    name="Белова Анастасия Дмитриевна",
    contract="12-000001",
    phone="+7 916 111-00-01",
    address="г. Москва, ул. Ленина, д. 5, кв. 12",
    date="15 марта 2026 г.",
    what="три дня нет интернета",
    amount="1 500 руб.",
    grounds="договор № 12-000001",
    demand="Прошу сделать перерасчёт абонентской платы",
)

# The complaint on two pages (one-page scans put both on one page). Lines are drawn as written.
PAGE_ONE = """\
В ООО «ТелекомСервис»
Отправитель: Белова Анастасия Дмитриевна
Адрес: г. Москва, ул. Ленина, д. 5, кв. 12
Телефон: +7 916 111-00-01
Договор № 12-000001

ПРЕТЕНЗИЯ от 15 марта 2026 г.

С 12 марта 2026 г. по моему адресу три дня нет интернета.
Я трижды звонила в службу поддержки, но неисправность
не устранена. Всё это время я не могла работать из дома.
Абонентская плата за месяц составляет 1 500 руб."""

PAGE_TWO = """\
На основании договора № 12-000001 и Правил оказания
услуг связи прошу принять меры.
Прошу сделать перерасчёт абонентской платы
за дни без связи.

Подпись: Белова А. Д."""

FULL_TEXT = PAGE_ONE + "\n\n" + PAGE_TWO


@dataclass(frozen=True)
class GoodScan:
    filename: str
    content_type: str
    pages: tuple[str, ...]  # the text of each page, as drawn
    text_layer: bool = False
    noisy: bool = False  # fax or photo: OCR errors expected, match tolerantly

    @property
    def text(self) -> str:
        return "\n\n".join(self.pages)


@dataclass(frozen=True)
class BadScan:
    filename: str
    reason: str  # a fragment of the rejection reason (lower case)


CLEAN_PNG = GoodScan("clean.png", "image/png", (FULL_TEXT,))
FAX_TIFF = GoodScan("fax.tif", "image/tiff", (PAGE_ONE, PAGE_TWO), noisy=True)
IMAGE_PDF = GoodScan("pages.pdf", "application/pdf", (PAGE_ONE, PAGE_TWO))
TEXT_PDF = GoodScan("text-layer.pdf", "application/pdf", (FULL_TEXT,), text_layer=True)
PHOTO_JPEG = GoodScan("photo.jpg", "image/jpeg", (FULL_TEXT,), noisy=True)
GOOD_SCANS = (CLEAN_PNG, FAX_TIFF, IMAGE_PDF, TEXT_PDF, PHOTO_JPEG)

CORRUPT_PDF = BadScan("corrupt.pdf", "pdf повреждён")
EMPTY_FILE = BadScan("empty.pdf", "пустой файл")
MANY_PAGES_PDF = BadScan("5000-pages.pdf", "слишком много страниц: 5000")
BOMB_PNG = BadScan("bomb.png", "изображение слишком большое")
NOT_A_SCAN = BadScan("letter.docx", "неизвестный формат")
BAD_SCANS = (CORRUPT_PDF, EMPTY_FILE, MANY_PAGES_PDF, BOMB_PNG, NOT_A_SCAN)
MANY_PAGES = 5000
BOMB_SIDE = 30_000


def _font(size: int = FONT_PX) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def draw_page(text: str) -> Image.Image:
    """The text on a white A4 page at 300 dpi, grayscale."""
    page = Image.new("L", PAGE_SIZE, 255)
    draw = ImageDraw.Draw(page)
    font = _font()
    y = MARGIN
    for line in text.split("\n"):
        if line:
            draw.text((MARGIN, y), line, font=font, fill=0)
        y += LINE_PX
    return page


def clean_png(pages: tuple[str, ...] = CLEAN_PNG.pages) -> bytes:
    out = io.BytesIO()
    draw_page("\n\n".join(pages)).save(out, "PNG", dpi=(DPI, DPI), optimize=True)
    return out.getvalue()


def faxed(page: Image.Image, rng: random.Random, *, xdpi: int = 204, ydpi: int = 98, skew: float = 1.5,
          noise: float = 0.004) -> Image.Image:
    """A fax of the page: skewed, sampled at xdpi×ydpi, 1-bit, with salt-and-pepper noise."""
    skewed = page.rotate(skew, resample=Image.Resampling.BILINEAR, fillcolor=255)
    size = (round(page.width * xdpi / DPI), round(page.height * ydpi / DPI))
    small = skewed.resize(size, Image.Resampling.BOX)
    bits = small.point(lambda v: 255 if v > 160 else 0).convert("1", dither=Image.Dither.NONE)
    pixels = bits.load()
    assert pixels is not None
    for _ in range(int(size[0] * size[1] * noise)):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        pixels[x, y] = 0 if rng.random() < 0.5 else 255
    return bits


def fax_tiff(pages: tuple[str, ...] = FAX_TIFF.pages, *, seed: int = 11) -> bytes:
    rng = random.Random(seed)
    frames = [faxed(draw_page(text), rng) for text in pages]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], compression="group4", dpi=(204, 98))
    return out.getvalue()


def image_pdf(pages: tuple[str, ...] = IMAGE_PDF.pages) -> bytes:
    """A PDF of page images (a scanner's output): no text layer."""
    images = [draw_page(text) for text in pages]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=float(DPI))
    return out.getvalue()


def text_pdf(pages: tuple[str, ...] = TEXT_PDF.pages) -> bytes:
    """A PDF with a text layer (a letter typed and saved as PDF), Cyrillic in embedded DejaVuSans."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    # Its own name: the gateway's letters register "DejaVuSans" as part of a family (workers.letters.render).
    pdfmetrics.registerFont(TTFont(TEXT_PDF_FONT, str(FONT_PATH)))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for text in pages:
        pdf.setFont(TEXT_PDF_FONT, 12)
        y = A4[1] - 72
        for line in text.split("\n"):
            pdf.drawString(56, y, line)
            y -= 17
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def photo_jpeg(pages: tuple[str, ...] = PHOTO_JPEG.pages) -> bytes:
    """A phone photo of the letter: smaller, slightly rotated and blurred, lit unevenly, JPEG quality 70."""
    page = draw_page("\n\n".join(pages)).rotate(0.7, resample=Image.Resampling.BILINEAR, fillcolor=255)
    page = page.resize((page.width * 2 // 3, page.height * 2 // 3), Image.Resampling.LANCZOS)
    page = page.filter(ImageFilter.GaussianBlur(1.0))
    # Light falling from the top left: 100% there, about 55% in the bottom right corner.
    down = Image.linear_gradient("L")
    diagonal = ImageChops.add(down, down.rotate(90), scale=2)
    light = diagonal.resize(page.size).point(lambda v: 255 - v * 45 // 100)
    lit = ImageChops.multiply(page, light)
    tint = Image.merge("RGB", (lit, lit.point(lambda v: v * 96 // 100), lit.point(lambda v: v * 88 // 100)))
    out = io.BytesIO()
    tint.save(out, "JPEG", quality=70, dpi=(200, 200))
    return out.getvalue()


def corrupt_pdf() -> bytes:
    """A PDF cut off in the middle (an interrupted transfer)."""
    data = image_pdf()
    return data[: len(data) // 3]


def many_pages_pdf(count: int = MANY_PAGES) -> bytes:
    """`count` tiny empty pages: rejected by the page cap before anything is rendered."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(10, 10), pageCompression=1)
    for _ in range(count):
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def bomb_png(side: int = BOMB_SIDE) -> bytes:
    """A 1-bit side×side PNG of white pixels: about a hundred kilobytes that decode to side² pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + b"\xff" * ((side + 7) // 8)  # filter byte "none", then the bits
    packer = zlib.compressobj(9)
    rows = 1000
    body = b"".join(packer.compress(row * rows) for _ in range(side // rows))
    body += packer.compress(row * (side % rows)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1 bit, grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def not_a_scan() -> bytes:
    return b"PK\x03\x04" + b"\x00" * 100  # a zip container (docx), not a scan


GOOD_MAKERS = {
    CLEAN_PNG.filename: clean_png, FAX_TIFF.filename: fax_tiff, IMAGE_PDF.filename: image_pdf,
    TEXT_PDF.filename: text_pdf, PHOTO_JPEG.filename: photo_jpeg,
}
BAD_MAKERS = {
    CORRUPT_PDF.filename: corrupt_pdf, EMPTY_FILE.filename: lambda: b"", MANY_PAGES_PDF.filename: many_pages_pdf,
    BOMB_PNG.filename: bomb_png, NOT_A_SCAN.filename: not_a_scan,
}


def write_scans(folder: Path) -> dict[str, Path]:
    """Every good and bad scan written into `folder`: {filename: path}."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, make in {**GOOD_MAKERS, **BAD_MAKERS}.items():
        path = folder / name
        path.write_bytes(make())
        paths[name] = path
    return paths
