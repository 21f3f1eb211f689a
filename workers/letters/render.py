"""A reply as a Russian business letter on A4 (reportlab platypus): the letterhead with the requisites, the
addressee block at the right, «Исх. № … от …» and «На претензию № …», the answer text as it is, the page
numbers when there is more than one page. DejaVu fonts are embedded (subset), so Cyrillic prints anywhere.

The output is invariant (no creation time, a fixed document id): the same letter renders to the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date as Date
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import HRFlowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from workers.letters.config import LetterheadConfig
from workers.letters.fonts import FONT, FONT_BOLD, FONT_FILES, font_file

GREETINGS = ("Здравствуйте", "Уважаем", "Добрый день")
CLOSING = "С уважением"
MARGIN_LEFT = 25 * mm  # ГОСТ Р 7.0.97: 20 mm at least on the left, 10 mm on the right
MARGIN_RIGHT = 15 * mm
PARAGRAPH_INDENT = 12.5 * mm


@cache
def _load_fonts() -> None:
    """Once per process: the regular and bold DejaVu Sans files (FontsMissing without them)."""
    for face, file in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(face, str(font_file(file))))


def register_fonts() -> None:
    """The two faces as one family (so bold picks the bold face). The family is set on every call: reportlab's
    mapping is process-global, and anyone registering a font of the same name resets it to one face."""
    _load_fonts()
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=11, leading=15, alignment=TA_LEFT)
    return {
        "company": ParagraphStyle("company", base, fontName=FONT_BOLD, fontSize=13, leading=16),
        "small": ParagraphStyle("small", base, fontSize=8, leading=10, textColor=colors.HexColor("#333333")),
        "reference": ParagraphStyle("reference", base, fontSize=10, leading=14),
        "addressee": ParagraphStyle("addressee", base, leading=15),
        "addressee_name": ParagraphStyle("addressee_name", base, fontName=FONT_BOLD, leading=15),
        "greeting": ParagraphStyle("greeting", base, alignment=TA_CENTER, spaceBefore=4, spaceAfter=10),
        "body": ParagraphStyle("body", base, alignment=TA_JUSTIFY, firstLineIndent=PARAGRAPH_INDENT,
                               spaceAfter=4),
        "closing": ParagraphStyle("closing", base),
    }


def _text(value: str) -> str:
    """Plain text as paragraph markup: nothing of it is read as a tag."""
    return escape(value)


def _letterhead(letterhead: LetterheadConfig, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    return [
        Paragraph(_text(letterhead.legal_name), styles["company"]),
        Spacer(0, 1.5 * mm),
        *(Paragraph(_text(line), styles["small"]) for line in letterhead.contact_lines()),
        Paragraph(_text(letterhead.requisites_line()), styles["small"]),
        Spacer(0, 2 * mm),
        HRFlowable(width="100%", thickness=1.2, color=colors.black, spaceBefore=0, spaceAfter=8 * mm),
    ]


def _heading(client_name: str, client_address: str, ticket_number: str, outgoing_number: str, date: Date,
             width: float, styles: dict[str, ParagraphStyle]) -> Table:
    """The reference at the left, the addressee at the right, side by side."""
    reference = [
        Paragraph(_text(f"Исх. № {outgoing_number} от {date:%d.%m.%Y}"), styles["reference"]),
        Paragraph(_text(f"На претензию № {ticket_number}"), styles["reference"]),
    ]
    addressee: list[Flowable] = [Paragraph(_text(client_name), styles["addressee_name"])]
    addressee += [Paragraph(_text(line), styles["addressee"]) for line in client_address.splitlines() if line.strip()]
    left = width * 0.5
    table = Table([[reference, addressee]], colWidths=[left, width - left], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),  # else the cells set Helvetica, a font not embedded
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return table


def _ends_with_signer(lines: list[str], signer_name: str) -> bool:
    tail = [line.strip() for line in lines if line.strip()][-3:]
    return any(signer_name in line for line in tail)


def _body(text: str, signer_name: str | None, signer_position: str | None,
          styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """The answer as it is: a greeting line centred, the paragraphs justified, the closing kept together."""
    lines = text.replace("\r\n", "\n").strip("\n").split("\n")
    closing_at = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip().startswith(CLOSING)), None)
    main, closing = (lines, []) if closing_at is None else (lines[:closing_at], lines[closing_at:])
    flow: list[Flowable] = []
    for index, line in enumerate(main):
        stripped = line.strip()
        if not stripped:
            flow.append(Spacer(0, 2 * mm))
        elif index == 0 and stripped.startswith(GREETINGS):
            flow.append(Paragraph(_text(stripped), styles["greeting"]))
        else:
            flow.append(Paragraph(_text(stripped), styles["body"]))
    signature = [Paragraph(_text(line.strip()), styles["closing"]) for line in closing if line.strip()]
    if signer_name and not _ends_with_signer(lines, signer_name):
        if not signature:
            signature.append(Paragraph(_text(f"{CLOSING},"), styles["closing"]))
        signature += [Paragraph(_text(signer_name), styles["closing"])]
        if signer_position:
            signature.append(Paragraph(_text(signer_position), styles["closing"]))
    if signature:
        flow.append(KeepTogether([Spacer(0, 8 * mm), *signature]))
    return flow


def _numbered_canvas(company: str, counted: list[int]) -> type[Canvas]:
    """A canvas that knows the page count when it saves: «Страница N из M» only if M > 1 (M goes to `counted`)."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            counted.append(total)
            for state in self._pages:
                self.__dict__.update(state)
                if total > 1:
                    self.setFont(FONT, 8)
                    self.setFillColor(colors.HexColor("#555555"))
                    self.drawRightString(A4[0] - MARGIN_RIGHT, 10 * mm, f"Страница {self._pageNumber} из {total}")
                    self.drawString(MARGIN_LEFT, 10 * mm, company)
                super().showPage()
            super().save()

    return NumberedCanvas


@dataclass(frozen=True)
class RenderedLetter:
    pdf: bytes
    pages: int


def render_letter(
    letterhead: LetterheadConfig, *, client_name: str, client_address: str, ticket_number: str,
    outgoing_number: str, date: Date, text: str, signer_name: str | None, signer_position: str | None,
) -> bytes:
    """The letter as PDF bytes. `text` is the full answer (greeting, body, signature) and is printed as it is;
    the signer's block is added only when the text does not already end with the signer's name."""
    return render_letter_pages(
        letterhead, client_name=client_name, client_address=client_address, ticket_number=ticket_number,
        outgoing_number=outgoing_number, date=date, text=text, signer_name=signer_name,
        signer_position=signer_position,
    ).pdf


def render_letter_pages(
    letterhead: LetterheadConfig, *, client_name: str, client_address: str, ticket_number: str,
    outgoing_number: str, date: Date, text: str, signer_name: str | None, signer_position: str | None,
) -> RenderedLetter:
    """render_letter, with the number of pages (what the post room's register shows)."""
    register_fonts()
    styles = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=MARGIN_LEFT, rightMargin=MARGIN_RIGHT, topMargin=15 * mm,
        bottomMargin=20 * mm, title=f"Ответ на претензию № {ticket_number}", author=letterhead.short_name,
        subject=f"Исх. № {outgoing_number} от {date:%d.%m.%Y}", creator=letterhead.short_name, lang="ru-RU",
        invariant=True, initialFontName=FONT,
    )
    story: list[Flowable] = [
        *_letterhead(letterhead, styles),
        _heading(client_name, client_address, ticket_number, outgoing_number, date, doc.width, styles),
        Spacer(0, 10 * mm),
        *_body(text, signer_name, signer_position, styles),
    ]
    counted: list[int] = []
    doc.build(story, canvasmaker=_numbered_canvas(letterhead.short_name, counted))
    return RenderedLetter(out.getvalue(), counted[-1])
