"""No channel to answer on: create a call-back task that operators see on their dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from router.directory import first_identities
from router.models import CallbackTask, Submission
from router.route_lookup import submissions_with
from router.timeutil import utcnow
from workers.channels.senders.base import DeliveryResult, Reply

DETAIL = "нет канала для ответа: перезвонить клиенту"


def _submitted_phones(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Unknown callers: the first number they gave in the submission itself, by (channel, native id)."""
    if not keys:
        return {}
    # Only that one value, extracted by the database, not the whole stored event.
    first_phone = Submission.event[("identities", "phones", 0)].as_string()
    rows = session.execute(
        select(Submission.channel, Submission.native_id, first_phone)
        .where(submissions_with(keys), first_phone.is_not(None))
    )
    return {(channel, native_id): phone for channel, native_id, phone in rows}


def phones_to_call(session: Session, replies: Sequence[Reply]) -> list[str | None]:
    by_client = first_identities(session, {r.client.id for r in replies if r.client is not None}, "phone")
    unknown = {
        (r.message.channel, r.message.in_reply_to) for r in replies
        if r.message.in_reply_to is not None and (r.client is None or r.client.id not in by_client)
    }
    by_submission = _submitted_phones(session, unknown)
    phones: list[str | None] = []
    for r in replies:
        phone = by_client.get(r.client.id) if r.client is not None else None
        if phone is None and r.message.in_reply_to is not None:
            phone = by_submission.get((r.message.channel, r.message.in_reply_to))
        phones.append(phone)
    return phones


class CallbackSender:
    channel = "callback"

    def record(self, session: Session, replies: Sequence[Reply]) -> list[DeliveryResult]:
        phones = phones_to_call(session, replies)
        now = utcnow()
        # The client's preferred electronic contact, for the operator to offer a written copy there.
        tasks: list[dict[str, Any]] = [
            {"ticket_id": r.ticket_id, "created_at": now, "phone": phone, "message": r.message.text,
             "outbox_id": r.message.outbox_id, "preferred_channel": r.client.preferred_channel if r.client else None}
            for r, phone in zip(replies, phones, strict=True)
        ]
        if tasks:
            session.execute(insert(cast(Table, CallbackTask.__table__)), tasks)
        return [DeliveryResult("callback", self.channel, phone, DETAIL) for phone in phones]
