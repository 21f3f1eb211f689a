"""The ComplaintEvent contract: one uniform complaint, whatever the channel (normalizer -> router)."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from channels.base import Channel


class Identities(BaseModel):
    """Everything found that may identify the client; the router resolves it against the directory."""

    model_config = ConfigDict(extra="forbid")

    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list, description="E.164")
    vk_ids: list[str] = Field(default_factory=list)
    ok_ids: list[str] = Field(default_factory=list)
    telegram_ids: list[str] = Field(default_factory=list)
    contract_numbers: list[str] = Field(default_factory=list)
    account_numbers: list[str] = Field(default_factory=list)
    client_id: int | None = Field(default=None, description="Set when staff picked the client (phone)")
    verified_phones: list[str] = Field(
        default_factory=list,
        description="E.164 numbers the platform proved are the sender's own (a Telegram contact card of the "
                    "sender's account): only these may link an unknown chat account to a client")

    # (directory kind, field): most specific first, since a contract number names a client and a shared
    # phone may not. The kinds are the values of router.models.ClientIdentity.kind.
    KINDS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("contract", "contract_numbers"),
        ("account", "account_numbers"),
        ("email", "emails"),
        ("phone", "phones"),
        (Channel.TELEGRAM.value, "telegram_ids"),
        (Channel.VK.value, "vk_ids"),
        (Channel.OK.value, "ok_ids"),
    )

    def pairs(self) -> list[tuple[str, str]]:
        return [(kind, value) for kind, attr in self.KINDS for value in getattr(self, attr)]

    def is_empty(self) -> bool:
        return self.client_id is None and not any(getattr(self, attr) for _, attr in self.KINDS)


class Attachment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    content_type: str
    size: int = Field(ge=0)
    blob_key: str


class RemoteAttachment(BaseModel):
    """A file the platform holds: referenced in the event, fetched into the blob store by a worker."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=300)
    content_type: str = Field(max_length=100)
    url: str = Field(max_length=2000)
    size: int | None = Field(default=None, ge=0, description="As the platform states it, if it does")


class ReplyTarget(BaseModel):
    """Where the answer goes on the same channel, and what it answers (threading)."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field(description="Email address, VK peer id, OK chat id or Telegram chat id")
    message_id: str | None = Field(default=None, description="The message answered (email Message-ID, ...)")
    references: list[str] = Field(default_factory=list, description="Email References of the message answered")
    subject: str | None = None


class ScanFields(BaseModel):
    """What the normalizer read out of a scanned letter (hints: an OCR'd number is verified by the router)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sender_name: str | None = None
    contract: str | None = None
    account: str | None = None
    phone: str | None = None
    address: str | None = None
    date: str | None = None
    claim_what: str | None = None
    claim_amount: str | None = None
    claim_where: str | None = None
    claim_grounds: str | None = None
    claim_demand: str | None = None


class ScanFacts(BaseModel):
    """A scanned letter's OCR facts (channels post and fax, normalizer.scan)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mean_confidence: float | None = Field(default=None, ge=0, le=100, description="None: a PDF text layer")
    text_layer: bool = False
    fields: ScanFields = Field(default_factory=ScanFields)
    needs_verification: bool = Field(description="A person checks the client before the ticket proceeds")
    reasons: list[str] = Field(default_factory=list, description="Why it needs verification (Russian)")
    blob_key: str = Field(description="The original scan in the blob store")
    page_keys: list[str] = Field(default_factory=list, description="The pages as PNG, for the verify page")


class ComplaintEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: Literal[1] = 1
    event_id: uuid.UUID
    submission_id: uuid.UUID
    channel: Channel
    native_id: str
    received_at: AwareDatetime
    identities: Identities = Field(default_factory=Identities)
    display_name: str | None = None
    subject: str | None = None
    text: str
    attachments: list[Attachment] = Field(default_factory=list)
    remote_attachments: list[RemoteAttachment] = Field(
        default_factory=list, description="Files still on the platform (VK photos, documents): fetched by a worker"
    )
    thread_refs: list[str] = Field(default_factory=list, description="Ticket numbers and Message-IDs")
    auto_generated: bool = Field(default=False, description="Auto-reply or bounce: never answered")
    auto_kind: str | None = Field(
        default=None, description="Why it is a robot: auto_reply, bounce, list, bulk, mailer_daemon, ..."
    )
    reply_to: ReplyTarget | None = Field(default=None, description="Answer here on the same channel")
    content_id: str | None = Field(
        default=None, description="Channel-level identity of the content (email Message-ID): a second dedup key"
    )
    ocr_confidence: float | None = None
    scan: ScanFacts | None = Field(default=None, description="A scanned letter's OCR facts (post and fax)")
    category: str | None = None
    demands: list[str] = Field(default_factory=list)
    language: str = "ru"
    operator_id: str | None = None
