"""Post and fax have no way back: the answer is rendered as a letter (PDF, into the blob store) and queued for
the post room (router.models.OutgoingLetter), who print it, post it and mark it sent on /letters.

A store-only sender: it records inside the delivery transaction, once per outbox id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from channels.blobs import BlobStore
from router.models import Client, OutgoingLetter, Staff, Ticket
from router.texts import Signer
from router.timeutil import utcnow
from workers.channels.senders.base import DeliveryResult, Reply
from workers.letters.config import LetterheadConfig

CHANNEL = "letter"
QUEUED = "письмо поставлено в очередь почтового отделения"
NO_ADDRESS = "нет почтового адреса клиента: письмо не сформировано"
DEFAULT_TZ = ZoneInfo("Europe/Moscow")
ADDRESS_MAX = 320  # Delivery.address; the letter and its queue row keep the whole address


@dataclass(frozen=True)
class Addressee:
    name: str
    address: str | None


def outgoing_number(outbox_id: int) -> str:
    """The letter's outgoing number: unique per reply, as the post room's register shows it."""
    return f"П-{outbox_id}"


def _addressees(session: Session, client_ids: set[int]) -> dict[int, Addressee]:
    if not client_ids:
        return {}
    rows = session.execute(select(Client.id, Client.name, Client.address).where(Client.id.in_(client_ids)))
    return {row.id: Addressee(row.name, row.address) for row in rows}


def _signers(session: Session, ticket_ids: set[int]) -> dict[int, Signer]:
    """The ticket's manager (its assignee) signs; a ticket no one holds is signed by the department (no block)."""
    rows = session.execute(
        select(Ticket.id, Staff.name, Staff.role)
        .join(Staff, Staff.login == Ticket.assignee_login)
        .where(Ticket.id.in_(ticket_ids))
    )
    return {row.id: Signer(row.name, row.role) for row in rows}


class LetterSender:
    channel = CHANNEL

    def __init__(self, blobs: BlobStore, letterhead: LetterheadConfig | None = None, tz: ZoneInfo = DEFAULT_TZ):
        self.blobs = blobs
        self.letterhead = letterhead or LetterheadConfig()
        self.tz = tz

    def record(self, session: Session, replies: Sequence[Reply]) -> list[DeliveryResult]:
        addressees = _addressees(session, {r.client.id for r in replies if r.client is not None})
        signers = _signers(session, {r.ticket_id for r in replies})
        queued = set(session.scalars(select(OutgoingLetter.outbox_id).where(
            OutgoingLetter.outbox_id.in_([r.message.outbox_id for r in replies]))))
        now = utcnow()
        rows: list[dict[str, Any]] = []
        results: list[DeliveryResult] = []
        for reply in replies:
            addressee = addressees.get(reply.client.id) if reply.client is not None else None
            address = (addressee.address or "").strip() if addressee is not None else ""
            if addressee is None or not address:
                results.append(DeliveryResult("failed", self.channel, None, NO_ADDRESS))
                continue
            results.append(DeliveryResult(CHANNEL, self.channel, address[:ADDRESS_MAX], QUEUED))
            if reply.message.outbox_id in queued:
                continue  # already rendered and queued (a redelivered reply): one letter per reply
            queued.add(reply.message.outbox_id)
            signer = signers.get(reply.ticket_id)
            # Imported here: reportlab costs ~8 MB of RSS in every worker process, and few ever render a letter.
            from workers.letters.render import render_letter_pages

            letter = render_letter_pages(
                self.letterhead, client_name=addressee.name, client_address=address,
                ticket_number=reply.message.ticket_number, outgoing_number=outgoing_number(reply.message.outbox_id),
                date=now.astimezone(self.tz).date(), text=reply.message.text,
                signer_name=signer.name if signer else None, signer_position=signer.position if signer else None,
            )
            rows.append({
                "ticket_id": reply.ticket_id, "outbox_id": reply.message.outbox_id, "created_at": now,
                "recipient": addressee.name, "address": address, "blob_key": self.blobs.put(letter.pdf),
                "pages": letter.pages, "status": "pending",
            })
        if rows:
            session.execute(insert(cast(Table, OutgoingLetter.__table__)), rows)
        return results
