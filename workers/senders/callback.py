"""No channel to answer on: create a call-back task that operators see on their dashboard."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from router.contracts import OutboundMessage
from router.models import CallbackTask, Client, ClientIdentity, Submission
from router.timeutil import utcnow
from workers.senders.base import DeliveryResult


def _phone_to_call(session: Session, message: OutboundMessage, client: Client | None) -> str | None:
    if client is not None:
        phone = session.scalar(
            select(ClientIdentity.value)
            .where(ClientIdentity.client_id == client.id, ClientIdentity.kind == "phone")
            .order_by(ClientIdentity.id)
            .limit(1)
        )
        if phone:
            return phone
    # Unknown caller: the number they gave in the submission itself.
    event = session.scalar(
        select(Submission.event).where(
            Submission.channel == message.channel, Submission.native_id == message.in_reply_to
        )
    )
    phones = (event or {}).get("identities", {}).get("phones") or []
    return phones[0] if phones else None


class CallbackSender:
    channel = "callback"

    def record(
        self, session: Session, message: OutboundMessage, client: Client | None, ticket_id: int
    ) -> DeliveryResult:
        phone = _phone_to_call(session, message, client)
        session.add(
            CallbackTask(
                ticket_id=ticket_id, created_at=utcnow(), phone=phone, message=message.text,
                outbox_id=message.outbox_id,
            )
        )
        return DeliveryResult("callback", self.channel, phone, "нет канала для ответа: перезвонить клиенту")
