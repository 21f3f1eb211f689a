"""SQL tables (SQLAlchemy 2 declarative). Alembic migrations under router/migrations mirror these."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

CONTENT_ID_MAX = 998  # bytes: an RFC 5322 line; longer Message-IDs are not stored (no dedup, no threading)


class Base(DeclarativeBase):
    pass


def cast_table(model: type[Base]) -> Table:
    """A mapped class's Table, for Core statements (typed: `__table__` is a FromClause to mypy)."""
    return cast(Table, model.__table__)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(64))
    deputy_login: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(String(255))


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_number: Mapped[str] = mapped_column(String(64), unique=True)
    account_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    segment: Mapped[str] = mapped_column(String(16))  # individual | business
    building_type: Mapped[str | None] = mapped_column(String(32))  # apartment | private | office
    packages: Mapped[list[str]] = mapped_column(JSON, default=list)
    address: Mapped[str | None] = mapped_column(Text)
    manager_login: Mapped[str | None] = mapped_column(String(64))
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    identities: Mapped[list[ClientIdentity]] = relationship(back_populates="client", lazy="selectin")


class ClientIdentity(Base):
    """One way to recognise a client: a kind of normalizer.event.Identities.KINDS and its value."""

    __tablename__ = "client_identities"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_identity_kind_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(320))
    client: Mapped[Client] = relationship(back_populates="identities")


class TicketCounter(Base):
    """Per-year sequence for C-YYYY-NNNNNN, incremented inside the routing transaction."""

    __tablename__ = "ticket_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_client_status", "client_id", "status"),
        Index("ix_tickets_assignee_status", "assignee_login", "status"),
        Index("ix_tickets_conversation_status", "conversation", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    assignee_login: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # open | closed
    channel: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    first_response_due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolution_due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    legal_due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # last dispute reopening
    parent_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # Chat channels: "<channel>:<peer or chat id>"; later messages of the chat continue the open ticket.
    conversation: Mapped[str | None] = mapped_column(String(128))
    # The review process (router/review): the department of the deep review, who holds the ticket now
    # (the owner is assignee_login), the first response and the answer that stop the clocks.
    department: Mapped[str | None] = mapped_column(String(64))
    handler_login: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    waiting_for_client: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    director_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    review_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # +1 per review after a dispute
    # The re-review clock of the latest dispute, and when the current wait for the client paused the clocks.
    dispute_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Submission(Base):
    """Every submission the router has seen; the unique key makes routing idempotent."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("channel", "native_id", name="uq_submission_native"),
        # Unique: two route replicas routing the same content at once cannot both keep it (the second fails
        # on the key and is retried, then found a duplicate). NULLs (no content id) never conflict.
        Index("ix_submissions_channel_content", "channel", "content_id", unique=True),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    native_id: Mapped[str] = mapped_column(String(512))
    # The channel's own identity of the content (email Message-ID): a second dedup key, and what a
    # client's later mail refers to (threading). Unique per channel (migration 0013).
    content_id: Mapped[str | None] = mapped_column(String(CONTENT_ID_MAX))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    routed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    event: Mapped[dict[str, Any]] = mapped_column(JSON)


class TicketHistory(Base):
    __tablename__ = "ticket_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_stage: Mapped[str | None] = mapped_column(String(32))
    to_stage: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    submission_id: Mapped[str | None] = mapped_column(String(36))


class Outbox(Base):
    """Messages to publish, written in the same transaction as the change they announce."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unsent", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    subject: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)


class CallbackTask(Base):
    """A reply that has no channel to travel on: an operator calls the client back."""

    __tablename__ = "callback_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    phone: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    outbox_id: Mapped[int] = mapped_column(Integer, unique=True)
    preferred_channel: Mapped[str | None] = mapped_column(String(16))  # the client's electronic contact, if any
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[str | None] = mapped_column(String(64))


class Delivery(Base):
    """A reply handed to a channel's sender (idempotent on the outbox id)."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(Integer, unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16))  # sent | callback | failed | suppressed
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    detail: Mapped[str | None] = mapped_column(Text)


class SentMessage(Base):
    """A reply we handed to a platform under our own message id (email Message-ID): threading and bounces."""

    __tablename__ = "sent_messages"
    __table_args__ = (Index("ix_sent_messages_address_sent_at", "address", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(CONTENT_ID_MAX), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    outbox_id: Mapped[int] = mapped_column(Integer, unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))  # OutboundKind: automatic replies count towards the cap
    address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # sent | failed | bounced
    detail: Mapped[str | None] = mapped_column(Text)


class StaffAlert(Base):
    """Something a staff member must look at (e.g. a reply to their client bounced)."""

    __tablename__ = "staff_alerts"
    __table_args__ = (Index("ix_staff_alerts_login_read", "login", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(32))  # reply_bounced | ...
    text: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FetchedAttachment(Base):
    """A file a submission referenced on its platform, fetched into the blob store (or why it was not)."""

    __tablename__ = "fetched_attachments"
    __table_args__ = (UniqueConstraint("submission_id", "url", name="uq_fetched_attachment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(36), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2000))
    size: Mapped[int | None] = mapped_column(Integer)
    blob_key: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16))  # fetched | failed | refused
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TicketDepartment(Base):
    """A department whose head had the ticket in deep review (their access outlives the stage)."""

    __tablename__ = "ticket_departments"
    __table_args__ = (UniqueConstraint("ticket_id", "department", name="uq_ticket_department"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    department: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TicketDecision(Base):
    """What a stage of the review concluded: a department head's conclusion, the manager's proposal,
    the decision (and the measures for culprits awaiting the director's approval)."""

    __tablename__ = "ticket_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # conclusion | proposal | decision
    # decision: primary_review (unfounded at once) | review | re_review (after a dispute) | upheld
    basis: Mapped[str | None] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(64))
    founded: Mapped[bool | None] = mapped_column(Boolean)
    causes: Mapped[str | None] = mapped_column(Text)
    conclusion: Mapped[str] = mapped_column(Text)
    recommendations: Mapped[list[str]] = mapped_column(JSON, default=list)
    culprits_measures: Mapped[str | None] = mapped_column(Text)
    measures_approved_by: Mapped[str | None] = mapped_column(String(64))
    measures_approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    needs_director: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_measures: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(64))  # the director, when needs_director
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    re_reviewed: Mapped[bool] = mapped_column(Boolean, default=False)


class Recommendation(Base):
    """A company-wide process fix a deep review recommended, followed up until done."""

    __tablename__ = "recommendations"
    __table_args__ = (Index("ix_recommendations_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_decisions.id"))
    department: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="new")  # new | in_progress | done
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ScanReview(Base):
    """A scanned letter whose sender the machine could not confirm: it waits in «Проверка скана» until a
    person picks (or corrects) the client; then the ticket goes on to the personal manager (router.scan_review)."""

    __tablename__ = "scan_reviews"
    __table_args__ = (Index("ix_scan_reviews_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | confirmed
    mean_confidence: Mapped[float | None] = mapped_column()
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # normalizer's ScanFields
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # router.scan_match, best first
    page_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    blob_key: Mapped[str] = mapped_column(String(80))
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SlaTimer(Base):
    """A warning or a breach of one clock of one ticket (router.sla): fired once, by the sla worker.

    The partial index holds only the timers still to fire, ordered by their moment: a tick reads the next
    due ones without looking at any other ticket."""

    __tablename__ = "sla_timers"
    __table_args__ = (
        UniqueConstraint("ticket_id", "clock", "level", name="uq_sla_timers_ticket_clock_level"),
        Index("ix_sla_timers_due", "fire_at", sqlite_where=text("fired_at IS NULL"),
              postgresql_where=text("fired_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    clock: Mapped[str] = mapped_column(String(16))  # first_response | resolution | legal | dispute
    level: Mapped[str] = mapped_column(String(8))  # warning | breach
    fire_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # None: its clock is paused
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(8))  # fired | stopped (the clock had stopped)


class OutgoingLetter(Base):
    """A reply with no electronic way back, rendered as a letter (PDF in the blob store) for the post room,
    who mark it sent (idempotent on the outbox id, like the deliveries)."""

    __tablename__ = "outgoing_letters"
    __table_args__ = (Index("ix_outgoing_letters_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    outbox_id: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recipient: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(Text)
    blob_key: Mapped[str] = mapped_column(String(80))
    pages: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_by: Mapped[str | None] = mapped_column(String(64))


class StaffSession(Base):
    """A staff login's server-side session: the signed cookie holds only its id, so logout, a password change
    or deactivation ends it at once (revoked_at), whatever copy of the cookie is still around."""

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_login", "login"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # secrets.token_urlsafe(32)
    login: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """One try at the staff login form (throttled per login and per address over a time window)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_login_at", "login", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    login: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(Boolean)


class IdentityClaim(Base):
    """A chat account said it is a client (named the contract or the phone) without proof: the ticket stays in
    the queue, marked, until a one-time code from the client's registered email comes back in the chat, or
    staff confirm or reject it (router.identity_claims). Only the code's hash is kept."""

    __tablename__ = "identity_claims"
    __table_args__ = (
        Index("ix_identity_claims_account", "account_kind", "account_value", "created_at"),
        Index("ix_identity_claims_ticket_status", "ticket_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(36), unique=True)  # uuid4: names the claim to the code mailer
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))  # the client the account claims to be
    account_kind: Mapped[str] = mapped_column(String(16))  # a chat channel's identity kind (client_identities)
    account_value: Mapped[str] = mapped_column(String(128))
    # pending | verified (the code) | confirmed (staff) | rejected (staff) | superseded (a newer claim)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    method: Mapped[str] = mapped_column(String(16))  # email (a code) | staff (no email) | limited (too many)
    code_hash: Mapped[str | None] = mapped_column(String(200))
    code_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
