"""The scan channel's settings: caps that keep a hostile or broken file from exhausting the gateway, the OCR's
pace and the watched folder."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from channels.base import Channel

MB = 1024 * 1024


class ScanConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    watch_dir: Path | None = Field(default=None, description="The folder the post room / fax server drops scans in")
    max_bytes: int = Field(default=50 * MB, gt=0, description="Largest file accepted")
    max_pages: int = Field(default=50, gt=0, description="Most pages per file, checked before rendering")
    max_pixels: int = Field(default=60_000_000, gt=0, description="Most pixels per page (decompression bombs)")
    ocr_timeout: float = Field(default=60.0, gt=0, description="Seconds of OCR per page")
    ocr_workers: int = Field(default=2, ge=1, description="OCR worker processes")
    low_confidence: float = Field(default=70.0, ge=0, le=100,
                                  description="Mean word confidence below which a scan always needs verification")
    poll_interval: float = Field(default=2.0, gt=0, description="Seconds between looks at the watched folder")
    languages: str = Field(default="rus+eng", min_length=1, description="Tesseract languages")
    channel: Literal[Channel.POST, Channel.FAX] = Field(default=Channel.POST,
                                                       description="The channel of files from the watched folder")
