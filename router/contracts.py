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


class Deadlines(BaseModel):
    """The ticket's clocks as the REST API shows them, with when each was met (TicketView.deadlines)."""

    model_config = ConfigDict(extra="forbid")

    first_response: AwareDatetime = Field(description="8 working hours from registration")
    resolution: AwareDatetime = Field(description="5 working days")
    legal: AwareDatetime = Field(description="60 calendar days (126-FZ)")
    acknowledged_at: AwareDatetime | None = Field(
        default=None, description="when the first response was given (stops the first-response clock)")
    resolved_at: AwareDatetime | None = Field(
        default=None, description="when the final answer was sent (stops the resolution clock)")
    dispute: AwareDatetime | None = Field(
        default=None, description="the re-review after the latest dispute (working days from the dispute)")


class TicketView(BaseModel):
    """A ticket as the REST API and the staff pages read it (the ORM row is router.models.Ticket).

    Published as the contract "Ticket". Schema version 2: `history` holds the latest entries (a client can
    grow it without bound), `history_total` says how many there are."""

    model_config = ConfigDict(extra="forbid", title="Ticket")
    SCHEMA_VERSION: ClassVar[int] = 2

    schema_version: Literal[2] = 2
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
    history: list[HistoryEntry] = Field(
        default_factory=list,
        description="The latest 200 entries, oldest first; every entry: GET /api/v1/tickets/{number}/history",
    )
    history_total: int = Field(ge=0, description="How many entries the ticket's history has in all")
    handler: str | None = Field(default=None, description="Login of whoever must act now (manager, head, director)")
    department: str | None = Field(default=None, description="Department code of the deep review, if any")
    deadlines: Deadlines = Field(description="The clocks, and when they were met")
    waiting_for_client: bool = Field(default=False, description="A question to the client awaits the reply")
    director_pending: bool = Field(default=False, description="The decision awaits the director's approval")
    review_round: int = Field(default=0, ge=0, description="How many times the decision was reviewed again")
    allowed_actions: list[str] = Field(
        default_factory=list,
        description="Actions the X-On-Behalf-Of staff member may take now (empty without the header)",
    )


class HistoryPage(BaseModel):
    """A page of a ticket's history, oldest first (GET /api/v1/tickets/{number}/history)."""

    model_config = ConfigDict(extra="forbid")

    items: list[HistoryEntry]
    total: int = Field(ge=0, description="How many entries the ticket's history has in all")


class TicketEventType(StrEnum):
    CREATED = "created"
    FOLLOW_UP = "follow_up"
    REOPENED = "reopened"  # a closed ticket disputed within the dispute window
    STAGE_CHANGED = "stage_changed"
    ASSIGNED = "assigned"
    UPDATED = "updated"  # an action that kept the stage (a comment, a question, an approval of measures)


class SnapshotClient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    contract_number: str


class TicketSnapshot(BaseModel):
    """The ticket as it stands once the event has happened: enough to mirror it without calling back."""

    model_config = ConfigDict(extra="forbid")

    number: str = Field(pattern=TICKET_NUMBER_PATTERN)
    client: SnapshotClient | None = Field(description="null for a ticket of the unknown-client queue")
    assignee: str | None = Field(description="Login of the owner, the personal manager")
    handler: str | None = Field(description="Login of whoever has to act on the ticket now")
    department: str | None = Field(description="Code of the department of the deep review")
    stage: Stage
    status: Literal["open", "closed"]
    channel: str = Field(description="The channel the ticket came in on (its answers go there)")
    category: str | None
    subject: str | None
    text: str
    created_at: AwareDatetime
    waiting_for_client: bool = Field(description="A question was asked and the client has not replied yet")
    director_pending: bool = Field(description="The decision waits for the director's approval")
    deadlines: Deadlines = Field(description="The clocks, and when they were met (as the REST API shows them)")


class TicketEvent(BaseModel):
    """Something happened to a ticket; `ticket` is its snapshot afterwards.

    Schema version 2 added `ticket` (required)."""

    model_config = ConfigDict(extra="forbid")
    SCHEMA_VERSION: ClassVar[int] = 2

    schema_version: Literal[2] = 2
    event_id: uuid.UUID
    type: TicketEventType
    ticket_number: str = Field(pattern=TICKET_NUMBER_PATTERN)
    at: AwareDatetime
    client_id: int | None
    assignee: str | None
    stage: Stage
    channel: str
    submission_id: uuid.UUID | None = None
    action: str | None = Field(default=None, description="The review action that caused it, if any")
    clocks: Clocks
    ticket: TicketSnapshot


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


class StaffNotice(BaseModel):
    """An alert to a staff member, also sent by email when SMTP is configured (router -> notify worker).

    The in-app copy is the staff_alerts row written in the same transaction."""

    model_config = ConfigDict(extra="forbid")
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: Literal[1] = 1
    outbox_id: int = Field(description="Outbox row id, stamped by the relay; the delivery idempotency key")
    login: str
    kind: str = Field(description="dispute, approval_needed, reply_bounced, sla_warning, sla_escalation, ...")
    ticket_number: str | None = Field(default=None, pattern=TICKET_NUMBER_PATTERN)
    text: str
