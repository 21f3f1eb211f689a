"""The mutable working copy the normalizer steps fill in, turned into a ComplaintEvent at the end."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from channels.base import RawSubmission
from channels.blobs import BlobStore
from normalizer.config import NormalizerConfig
from normalizer.event import Attachment, ComplaintEvent, Identities, RemoteAttachment, ReplyTarget, ScanFacts

EVENT_NAMESPACE = uuid.UUID("0b7d2a9e-52f4-4c61-8d0e-0c0ffee00002")


@dataclass
class Draft:
    raw: RawSubmission
    # What the steps are configured with (patterns, caps): passed in, never read from module globals.
    config: NormalizerConfig = field(default_factory=NormalizerConfig)
    text: str = ""
    subject: str | None = None
    display_name: str | None = None
    identities: Identities = field(default_factory=Identities)
    attachments: list[Attachment] = field(default_factory=list)
    remote_attachments: list[RemoteAttachment] = field(default_factory=list)
    thread_refs: list[str] = field(default_factory=list)
    auto_generated: bool = False
    auto_kind: str | None = None
    reply_to: ReplyTarget | None = None
    content_id: str | None = None
    # Where the raw bytes behind a claim-check key are read from and attachments are stored.
    blobs: BlobStore | None = None
    category: str | None = None
    demands: list[str] = field(default_factory=list)
    language: str = "ru"
    # A scanned letter (post, fax): the mean OCR confidence (None for a PDF text layer) and its facts.
    ocr_confidence: float | None = None
    scan: ScanFacts | None = None

    def to_event(self) -> ComplaintEvent:
        raw = self.raw
        return ComplaintEvent(
            # Derived from the submission, so a re-normalized submission is the same event.
            event_id=uuid.uuid5(EVENT_NAMESPACE, str(raw.submission_id)),
            submission_id=raw.submission_id,
            channel=raw.channel,
            native_id=raw.native_id,
            received_at=raw.received_at,
            identities=self.identities,
            display_name=self.display_name,
            subject=self.subject,
            text=self.text,
            attachments=self.attachments,
            remote_attachments=self.remote_attachments,
            thread_refs=self.thread_refs,
            auto_generated=self.auto_generated,
            auto_kind=self.auto_kind,
            reply_to=self.reply_to,
            content_id=self.content_id,
            ocr_confidence=self.ocr_confidence,
            scan=self.scan,
            category=self.category,
            demands=self.demands,
            language=self.language,
            operator_id=raw.operator_id,
        )


def add_unique(values: list[str], value: str | None) -> None:
    if value and value not in values:
        values.append(value)
