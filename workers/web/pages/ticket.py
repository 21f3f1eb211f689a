"""The ticket card: client, owner, stage, the three clocks, text, history, replies, the client's other tickets."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from channels.blobs import BlobNotFound
from router.directory import staff_by_login
from router.models import (
    CallbackTask,
    Client,
    Delivery,
    FetchedAttachment,
    SentMessage,
    StaffAlert,
    Submission,
    Ticket,
)
from workers.web.auth import current_staff
from workers.web.deps import SessionDep
from workers.web.errors import PageError
from workers.web.templating import render
from workers.web.tickets import history_of, ticket_by_number

OTHER_TICKETS_LIMIT = 50

router = APIRouter(dependencies=[Depends(current_staff)])


@router.get("/tickets/{number}")
async def ticket_page(request: Request, number: str, session: SessionDep) -> Response:
    ticket = await ticket_by_number(session, number)
    if ticket is None:
        raise PageError(404, "Претензия с таким номером не найдена.")
    client = await session.get(Client, ticket.client_id) if ticket.client_id is not None else None
    history = await history_of(session, ticket.id)
    people = await staff_by_login(session, [ticket.assignee_login or "", *(h.actor for h in history)])
    deliveries = list(await session.scalars(
        select(Delivery).where(Delivery.ticket_id == ticket.id).order_by(Delivery.at, Delivery.id)
    ))
    callbacks = list(await session.scalars(
        select(CallbackTask).where(CallbackTask.ticket_id == ticket.id).order_by(CallbackTask.created_at)
    ))
    sent = list(await session.scalars(
        select(SentMessage).where(SentMessage.ticket_id == ticket.id).order_by(SentMessage.sent_at, SentMessage.id)
    ))
    files = list(await session.scalars(
        select(FetchedAttachment).where(FetchedAttachment.ticket_id == ticket.id).order_by(FetchedAttachment.id)
    ))
    alerts = list(await session.scalars(
        select(StaffAlert).where(StaffAlert.ticket_id == ticket.id).order_by(StaffAlert.created_at, StaffAlert.id)
    ))
    submissions = list(await session.scalars(
        select(Submission).where(Submission.ticket_id == ticket.id).order_by(Submission.received_at)
    ))
    others: list[Ticket] = []
    if ticket.client_id is not None:
        others = list(await session.scalars(
            select(Ticket)
            .where(Ticket.client_id == ticket.client_id, Ticket.id != ticket.id)
            .order_by(Ticket.created_at.desc()).limit(OTHER_TICKETS_LIMIT)
        ))
    parent = await session.get(Ticket, ticket.parent_ticket_id) if ticket.parent_ticket_id else None
    return render(request, "ticket.html", {
        "ticket": ticket, "client": client, "history": history, "people": people,
        "assignee": people.get(ticket.assignee_login or ""), "deliveries": deliveries,
        "callbacks": callbacks, "submissions": submissions, "others": others, "parent": parent,
        "sent": sent, "alerts": alerts, "files": files,
    })


@router.get("/attachments/{attachment_id}")
async def attachment_file(request: Request, attachment_id: int, session: SessionDep) -> Response:
    """A fetched file, to staff only, always as a download (never rendered in the gateway's origin)."""
    item = await session.get(FetchedAttachment, attachment_id)
    if item is None or item.blob_key is None:
        raise PageError(404, "Файл не найден.")
    try:
        data = await asyncio.to_thread(request.app.state.settings.blobs.get, item.blob_key)
    except BlobNotFound:
        raise PageError(404, "Файл не найден в хранилище.") from None
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(item.name)}",
        "X-Content-Type-Options": "nosniff",
    })
