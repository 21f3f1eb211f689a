"""Replies on OK.ru: POST /graph/me/messages/chat:<id> in the chat the complaint came from.

prepare (first transaction): the chat of the answered submission (its event's reply_to) and the
ticket's assignee. send (no transaction): one POST per reply. OK has no idempotency key, so what
a failure means decides whether the reply may go again:
- connection refused / connect timeout (nothing sent), HTTP 5xx or 429, OK's temporary error codes:
  a TemporaryFailure, retried by the deliver worker with backoff;
- a timeout or a dropped connection after the request went out (OK may have posted it): the
  reply is NOT sent again; it is recorded as "uncertain", with a ticket history entry and an alert
  for the ticket's assignee, who checks the chat and writes again by hand if needed;
- any other refusal (HTTP 4xx, a permanent error code): "failed", with a history entry.
record (second transaction): history entries and alerts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from channels.base import Channel
from channels.ok.api import OkAmbiguous, OkApi, OkApiError, OkUnreachable
from channels.ok.config import OkConfig
from router.models import StaffAlert, Submission, Ticket
from router.route_lookup import submissions_with
from router.timeutil import utcnow
from workers.app.settings import Settings
from workers.channels.senders.base import DeliveryResult, PlatformSender, Reply, TemporaryFailure
from workers.channels.senders.history import history_row, write_history

log = logging.getLogger("complaints.senders.ok")

CHANNEL = Channel.OK
DETAIL_MAX = 1000
UNCERTAIN = "uncertain"


@dataclass
class OkOutgoing:
    reply: Reply
    chat_id: str
    assignee: str | None


def _chats(session: Session, replies: Sequence[Reply]) -> dict[str, str]:
    """The chat of each answered OK submission (one query), by native id."""
    keys = {(CHANNEL, r.message.in_reply_to) for r in replies if r.message.in_reply_to}
    if not keys:
        return {}
    rows = session.execute(select(Submission.native_id, Submission.event["reply_to"]).where(submissions_with(keys)))
    chats: dict[str, str] = {}
    for native_id, target in rows:
        address = target.get("address") if isinstance(target, dict) else None
        if isinstance(address, str) and address:
            chats[native_id] = address
    return chats


def _assignees(session: Session, ticket_ids: set[int]) -> dict[int, str | None]:
    if not ticket_ids:
        return {}
    rows = session.execute(select(Ticket.id, Ticket.assignee_login).where(Ticket.id.in_(ticket_ids)))
    return {ticket_id: login for ticket_id, login in rows}


class OkSender:
    resend_safe = False  # no idempotency key: at most once (PlatformSender.resend_safe)
    channel = CHANNEL

    def __init__(self, config: OkConfig) -> None:
        self.config = config

    # --- first transaction

    def prepare(self, session: Session, replies: Sequence[Reply]) -> list[OkOutgoing | None]:
        chats = _chats(session, [r for r in replies if r.message.channel == CHANNEL])
        assignees = _assignees(session, {r.ticket_id for r in replies})
        prepared: list[OkOutgoing | None] = []
        for reply in replies:
            in_reply_to = reply.message.in_reply_to
            chat = chats.get(in_reply_to) if reply.message.channel == CHANNEL and in_reply_to else None
            # No chat to write to (e.g. a client who prefers OK but wrote elsewhere): a call-back instead.
            prepared.append(OkOutgoing(reply, chat, assignees.get(reply.ticket_id)) if chat else None)
        return prepared

    # --- no transaction

    async def send(self, prepared: Sequence[OkOutgoing]) -> list[DeliveryResult | TemporaryFailure]:
        results: list[DeliveryResult | TemporaryFailure] = []
        async with OkApi(self.config) as api:
            for position, item in enumerate(prepared):
                try:
                    answer = await api.send_message(item.chat_id, item.reply.message.text)
                except OkUnreachable as exc:
                    log.warning("ok: API unreachable (%s); %d replies retried later", exc, len(prepared) - position)
                    results.extend(TemporaryFailure(f"OK: {exc}") for _ in prepared[position:])
                    return results
                except OkAmbiguous as exc:
                    log.warning("ok: reply for outbox %s may or may not be posted: %s", item.reply.message.outbox_id,
                                exc)
                    results.append(DeliveryResult(UNCERTAIN, CHANNEL, item.chat_id, (
                        "OK не ответил вовремя: ответ мог быть доставлен, а мог и нет; повторно не отправлялся, "
                        f"проверьте чат ({exc})")[:DETAIL_MAX]))
                    continue
                except OkApiError as exc:
                    if exc.temporary:
                        results.append(TemporaryFailure(f"OK: {exc}"))
                    else:
                        results.append(DeliveryResult("failed", CHANNEL, item.chat_id,
                                                      f"OK отклонил сообщение: {exc}"[:DETAIL_MAX]))
                    continue
                mid = answer.get("message_id") or answer.get("mid")
                results.append(DeliveryResult("sent", CHANNEL, item.chat_id, str(mid)[:DETAIL_MAX] if mid else None))
        return results

    # --- second transaction

    def record(self, session: Session, prepared: Sequence[OkOutgoing], results: Sequence[DeliveryResult]) -> None:
        now = utcnow()
        history: list[dict[str, Any]] = []
        alerts: list[dict[str, Any]] = []
        for item, result in zip(prepared, results, strict=True):
            ticket_id = item.reply.ticket_id
            number = item.reply.message.ticket_number
            if result.status == UNCERTAIN:
                history.append(history_row(ticket_id, now, "reply_uncertain",
                                        f"Ответ клиенту в Одноклассниках, возможно, не доставлен: {result.detail}"))
                if item.assignee:
                    alerts.append({
                        "login": item.assignee, "ticket_id": ticket_id, "created_at": now, "kind": "reply_uncertain",
                        "text": (f"Обращение {number}: неизвестно, дошёл ли ответ клиенту в Одноклассниках "
                                 "(OK не ответил вовремя). Повторно ответ не отправлялся: проверьте чат "
                                 "и при необходимости напишите клиенту ещё раз."),
                        "read_at": None,
                    })
            elif result.status != "sent":
                history.append(history_row(ticket_id, now, "reply_not_sent",
                                        f"Ответ клиенту в Одноклассниках не отправлен: {result.detail}"))
        write_history(session, history)
        if alerts:
            session.execute(insert(cast(Table, StaffAlert.__table__)), alerts)



def from_settings(settings: Settings) -> PlatformSender[Any] | None:
    """The sender when the channel is configured, else None."""
    return OkSender(settings.ok) if settings.ok is not None else None
