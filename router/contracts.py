"""Ticket and TicketEvent contracts (router -> external ticket systems, TICKETS stream)."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from normalizer.event import RemoteAttachment
from router.workflow import Stage

TICKET_NUMBER_PATTERN = r"^C-\d{4}-\d{6}$"


class Clocks(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_response_due: AwareDatetime = Field(description="8 working hours from registration")
    resolution_due: AwareDatetime = Field(description="5 working days")
    legal_due: AwareDatetime = Field(description="60 calendar days (126-FZ)")


class HistoryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime
    actor: str
    action: str
    from_stage: Stage | None = None
    to_stage: Stage | None = None
    note: str | None = None


class TicketView(BaseModel):
    """A ticket as the REST API and the staff pages read it (the ORM row is router.models.Ticket).

    Published as the contract "Ticket"."""

    model_config = ConfigDict(extra="forbid", title="Ticket")
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: Literal[1] = 1
    number: str = Field(pattern=TICKET_NUMBER_PATTERN)
    client_id: int | None
    client_name: str | None = None
    assignee: str | None = Field(description="Login of the personal manager or whoever holds it")
    queue: str
    stage: Stage
    status: Literal["open", "closed"]
    channel: str
    subject: str | None
    text: str
    category: str | None
    created_at: AwareDatetime
    clocks: Clocks
    history: list[HistoryEntry] = Field(default_factory=list)


class TicketEventType(StrEnum):
    CREATED = "created"
    FOLLOW_UP = "follow_up"
    REOPENED = "reopened"  # a closed ticket disputed within the dispute window
    STAGE_CHANGED = "stage_changed"
    ASSIGNED = "assigned"


class TicketEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: Literal[1] = 1
    event_id: uuid.UUID
    type: TicketEventType
    ticket_number: str = Field(pattern=TICKET_NUMBER_PATTERN)
    at: AwareDatetime
    client_id: int | None
    assignee: str | None
    stage: Stage
    channel: str
    submission_id: uuid.UUID | None = None
    clocks: Clocks


class OutboundKind(StrEnum):
    ACKNOWLEDGEMENT = "acknowledgement"
    FOLLOW_UP_RECEIVED = "follow_up_received"
    ANSWER = "answer"


class OutboundMessage(BaseModel):
    """A reply to a client, published on outbound.<channel> (router -> deliver worker)."""

    model_config = ConfigDict(extra="forbid")
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: Literal[1] = 1
    outbox_id: int = Field(description="Outbox row id, stamped by the relay; the delivery idempotency key")
    kind: OutboundKind
    channel: str
    ticket_number: str = Field(pattern=TICKET_NUMBER_PATTERN)
    client_id: int | None
    in_reply_to: str | None = Field(description="Native id of the submission answered")
    text: str


class FetchRequest(BaseModel):
    """Files a submission referenced on its platform, to fetch into the blob store (router -> attachments)."""

    model_config = ConfigDict(extra="forbid")
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: Literal[1] = 1
    submission_id: uuid.UUID
    ticket_number: str = Field(pattern=TICKET_NUMBER_PATTERN)
    channel: str
    attachments: list[RemoteAttachment]
