"""Identity claims of chat accounts: a typed contract or phone number is a claim, not proof.

A chat account the directory does not know names a client's number: the ticket stays in the queue, marked
(an identity_claims row, status pending; the ticket page shows «Личность не подтверждена»). Then:
- the client has an email in the directory: a one-time 6-digit code goes to that address (never to the
  chat). The code is made by the deliver worker just before it mails it (router keeps only a claim key in
  the outbox), and only its hash is stored, with its expiry (CODE_TTL) and an attempts counter
  (MAX_ATTEMPTS). The same account sending the code back in the chat verifies the claim: the account is
  linked to the client and its tickets go to the personal manager, as for a platform-verified phone;
- no email on record, or too many claims by the account (CLAIMS_PER_DAY within CLAIM_WINDOW): no code,
  staff confirm or reject the claim on the ticket (router.review actions confirm_identity, reject_identity).

Routing reads the claims of a batch's chat accounts in one query (ClaimBook.load) and writes its new and
changed claims with the batch (router.route_rows).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, aliased

from router.contracts import TICKET_NUMBER_PATTERN
from router.models import Client, IdentityClaim
from router.outbox import outbound_subject
from router.passwords import hash_password, verify_password
from router.route_lookup import TicketRef, with_pairs
from router.timeutil import aware, to_utc

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=30)
MAX_ATTEMPTS = 5
CLAIMS_PER_DAY = 3  # new claims (each with its code, or for staff to check) per chat account
CLAIM_WINDOW = timedelta(hours=24)
# On the OUTBOUND stream (it is a message to the client), for the deliver worker: it makes and mails the code.
CODE_SUBJECT = outbound_subject("identity_code")
CODE_TEXT_MAX = 40  # a message longer than this is not "just the code"
_CODE_TEXT = re.compile(r"[\d\s\-.]+")


class Status(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"  # the code came back from the same account
    CONFIRMED = "confirmed"  # by staff
    REJECTED = "rejected"  # by staff
    SUPERSEDED = "superseded"  # the account made a newer claim on the same ticket


class Method(StrEnum):
    EMAIL = "email"  # a code to the client's registered email
    STAFF = "staff"  # no email on record: staff check
    LIMITED = "limited"  # over CLAIMS_PER_DAY: no code, staff check


class IdentityCodeMail(BaseModel):
    """Mail a new one-time code of a claim to the claimed client's registered email (router -> deliver)."""

    model_config = ConfigDict(extra="forbid")
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: Literal[1] = 1
    outbox_id: int = Field(description="Outbox row id, stamped by the relay; the delivery idempotency key")
    claim: str = Field(description="identity_claims.key of the claim")
    ticket_number: str = Field(pattern=TICKET_NUMBER_PATTERN)


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(code: str) -> str:
    """Salted scrypt (as staff passwords): a leaked row does not give the code away cheaply."""
    return hash_password(code)


def code_matches(code: str, stored: str | None) -> bool:
    return verify_password(code, stored)


def code_in(text: str) -> str | None:
    """The code, when the message is nothing but 6 digits (spaces, dashes and dots between them allowed)."""
    if len(text) > CODE_TEXT_MAX or not _CODE_TEXT.fullmatch(text.strip() or "x"):
        return None
    digits = re.sub(r"\D", "", text)
    return digits if len(digits) == CODE_DIGITS else None


Account = tuple[str, str]  # (kind, value) of a chat identity: ("vk", "555")


@dataclass
class ClaimRef:
    """A claim as routing sees it: from the store (id set), or new in this batch (row to insert)."""

    key: str
    client_id: int
    account: Account
    method: str
    created_at: datetime
    status: str = Status.PENDING.value
    ticket_id: int | None = None
    ticket: TicketRef | None = None  # a new claim's ticket (its id known after the INSERT)
    code_hash: str | None = None
    code_expires_at: datetime | None = None
    attempts: int = 0
    id: int | None = None
    changed: bool = False
    resolved_at: datetime | None = None
    resolved_by: str | None = None

    def on(self, ticket: TicketRef) -> bool:
        return self.ticket is ticket or (self.ticket_id is not None and self.ticket_id == ticket.id)

    def code_live(self, now: datetime) -> bool:
        """A code was asked for and may still come back: mailed and unexpired, or on its way (not mailed yet)."""
        if self.status != Status.PENDING or self.method != Method.EMAIL or self.attempts >= MAX_ATTEMPTS:
            return False
        expires = self.code_expires_at if self.code_expires_at is not None else self.created_at + CODE_TTL
        return now < expires

    def expired(self, now: datetime) -> bool:
        return self.code_expires_at is not None and now >= self.code_expires_at

    def resolve(self, status: Status, now: datetime, by: str) -> None:
        self.status, self.resolved_at, self.resolved_by, self.changed = status.value, now, by, True

    def insert_row(self) -> dict[str, Any]:
        return {"key": self.key, "client_id": self.client_id, "account_kind": self.account[0],
                "account_value": self.account[1], "status": self.status, "method": self.method,
                "code_hash": self.code_hash, "code_expires_at": self.code_expires_at, "attempts": self.attempts,
                "created_at": self.created_at, "resolved_at": self.resolved_at, "resolved_by": self.resolved_by}

    def update_row(self) -> dict[str, Any]:
        return {"claim_id": self.id, "new_status": self.status, "new_attempts": self.attempts,
                "at": self.resolved_at, "by": self.resolved_by}


def new_claim(client_id: int, account: Account, method: Method, ticket: TicketRef, now: datetime) -> ClaimRef:
    return ClaimRef(key=str(uuid.uuid4()), client_id=client_id, account=account, method=method.value,
                    created_at=to_utc(now), ticket=ticket, ticket_id=ticket.id)


@dataclass
class ClaimBook:
    """The claims of a batch's chat accounts: recent ones (for the limit) and pending ones (for the code)."""

    claims: dict[Account, list[ClaimRef]] = field(default_factory=dict)  # oldest first

    @classmethod
    def load(cls, session: Session, accounts: Iterable[Account], now: datetime) -> ClaimBook:
        wanted = set(accounts)
        if not wanted:
            return cls()
        statement, params = with_pairs(
            "identity_claims",
            lambda where: select(IdentityClaim).where(where, or_(
                IdentityClaim.created_at >= bindparam("since"), IdentityClaim.status == Status.PENDING.value,
            )).order_by(IdentityClaim.id),
            IdentityClaim.account_kind, IdentityClaim.account_value, wanted)
        rows = session.scalars(statement, {**params, "since": to_utc(now) - CLAIM_WINDOW})
        book = cls()
        for row in rows:
            book.add(ClaimRef(
                key=row.key, client_id=row.client_id, account=(row.account_kind, row.account_value),
                method=row.method, created_at=aware(row.created_at), status=row.status, ticket_id=row.ticket_id,
                code_hash=row.code_hash, attempts=row.attempts, id=row.id,
                code_expires_at=aware(row.code_expires_at) if row.code_expires_at is not None else None))
        return book

    def add(self, claim: ClaimRef) -> None:
        self.claims.setdefault(claim.account, []).append(claim)

    def of(self, account: Account) -> list[ClaimRef]:
        return self.claims.get(account, [])

    def recent(self, account: Account, now: datetime) -> int:
        """Claims the account made within the window that asked for a code or a staff check (not refused)."""
        return sum(1 for c in self.of(account) if c.method != Method.LIMITED and c.created_at > now - CLAIM_WINDOW)

    def pending_on(self, account: Account, ticket: TicketRef) -> list[ClaimRef]:
        return [c for c in self.of(account) if c.status == Status.PENDING and c.on(ticket)]

    def awaiting_code(self, account: Account) -> list[ClaimRef]:
        """Pending claims of the account whose code was mailed, newest first."""
        return [c for c in reversed(self.of(account))
                if c.status == Status.PENDING and c.method == Method.EMAIL and c.code_hash is not None]

    def new(self) -> list[ClaimRef]:
        return [c for claims in self.claims.values() for c in claims if c.id is None]

    def changed(self) -> list[ClaimRef]:
        return [c for claims in self.claims.values() for c in claims if c.id is not None and c.changed]


class CodeOutcome(StrEnum):
    VERIFIED = "verified"
    WRONG = "wrong"
    EXHAUSTED = "exhausted"  # this attempt, or an earlier one, used the last try
    EXPIRED = "expired"


@dataclass(frozen=True)
class CodeCheck:
    outcome: CodeOutcome
    claim: ClaimRef

    @property
    def attempts_left(self) -> int:
        return max(MAX_ATTEMPTS - self.claim.attempts, 0)


def check_code(book: ClaimBook, account: Account, code: str, now: datetime) -> CodeCheck | None:
    """The account sent `code`: which of its mailed codes it is, if any. Counts a wrong try on the newest
    claim. None when the account has no mailed code waiting (the message is just a message)."""
    waiting = book.awaiting_code(account)
    if not waiting:
        return None
    for claim in waiting:
        if claim.attempts < MAX_ATTEMPTS and not claim.expired(now) and code_matches(code, claim.code_hash):
            claim.resolve(Status.VERIFIED, now, "code")
            return CodeCheck(CodeOutcome.VERIFIED, claim)
    newest = waiting[0]
    if newest.attempts >= MAX_ATTEMPTS:
        return CodeCheck(CodeOutcome.EXHAUSTED, newest)
    if newest.expired(now):
        return CodeCheck(CodeOutcome.EXPIRED, newest)
    newest.attempts += 1
    newest.changed = True
    return CodeCheck(CodeOutcome.EXHAUSTED if newest.attempts >= MAX_ATTEMPTS else CodeOutcome.WRONG, newest)


# --- the deliver side: make the code, keep its hash


@dataclass(frozen=True)
class CodeToMail:
    code: str
    address: str
    account: Account
    ticket_id: int


def issue_code(session: Session, claim_key: str, now: datetime, email_of: dict[int, str]) -> CodeToMail | str:
    """A fresh code for a pending claim (a resend after a crash replaces the hash: only the newest mail
    counts), its hash and expiry stored; or why there is nothing to mail."""
    claim = session.scalar(select(IdentityClaim).where(IdentityClaim.key == claim_key).with_for_update())
    if claim is None:
        return "заявка на подтверждение личности не найдена"
    if claim.status != Status.PENDING or claim.method != Method.EMAIL:
        return "заявка на подтверждение личности уже закрыта"
    address = email_of.get(claim.client_id)
    if not address:
        return "у клиента нет адреса электронной почты"
    code = new_code()
    claim.code_hash, claim.code_expires_at = hash_code(code), to_utc(now) + CODE_TTL
    return CodeToMail(code, address, (claim.account_kind, claim.account_value), claim.ticket_id)


# --- what the staff pages show: the mark of a ticket whose client an unverified account claims to be

CLAIM_BADGE = "Личность не подтверждена"


def claimed_contract(ticket_id: Any) -> Any:
    """A correlated scalar subquery: the contract number the ticket's newest pending claim names, else NULL
    (for the lists: `select(Ticket, ..., claimed_contract(Ticket.id))`)."""
    claimed = aliased(Client)  # the lists join Client for the ticket's own client
    return (select(claimed.contract_number).join(IdentityClaim, IdentityClaim.client_id == claimed.id)
            .where(IdentityClaim.ticket_id == ticket_id, IdentityClaim.status == Status.PENDING.value)
            .order_by(IdentityClaim.id.desc()).limit(1).scalar_subquery().label("claimed_contract"))
