"""The RawSubmission payload of a scanned letter or fax (channels.scan -> normalizer.scan): what the OCR
read at the channel edge, so the normalizer stays pure. The original file is in the blob store under
`blob_key` (its SHA-256: the same scan twice is one submission)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ScanSource = Literal["folder", "upload", "fax_email"]


class OcrWord(BaseModel):
    """A word Tesseract read, with its confidence (0-100) and page (1-based); kept for the verify page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    confidence: float = Field(ge=0, le=100)
    page: int = Field(ge=1)


class ScanPage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    number: int = Field(ge=1)
    text: str
    mean_confidence: float | None = Field(default=None, ge=0, le=100, description="None: from a PDF text layer")
    image_key: str | None = Field(default=None, description="Blob key of the page as PNG, shown to the operator")
    width: int | None = None
    height: int | None = None


class ScanPayload(BaseModel):
    """RawSubmission.payload of channel post or fax, made by the scan channel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: ScanSource
    blob_key: str = Field(description="The original file in the blob store (sha256:...)")
    filename: str = Field(max_length=255)
    content_type: str = Field(description="application/pdf, image/tiff, image/png, image/jpeg")
    size: int = Field(ge=0)
    text_layer: bool = Field(description="True: the text came from the PDF's text layer, not OCR")
    pages: list[ScanPage] = Field(min_length=1)
    mean_confidence: float | None = Field(default=None, ge=0, le=100, description="Over all OCR words")
    words: list[OcrWord] = Field(default_factory=list, description="Low-confidence words first, capped")
    envelope_sender: str | None = Field(default=None, max_length=500, description="As the post room typed it")
    received_date: date | None = Field(default=None, description="Date on the envelope stamp / when received")
    fax_from: str | None = Field(default=None, max_length=320, description="The fax gateway's sender")

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)
