"""The post room's page: answers by letter (workers.channels.senders.letter) waiting to be printed and posted,
each PDF to download, a button to mark it sent (a ticket history row), and the letters sent last.

Who sees what: posting letters is the operators' work, like calling clients back, and the admin's: an operator
sees every letter and its PDF (the recipient and address are what they post to; no ticket page); anyone else
sees, downloads and marks only the letters of the tickets they may see (router.review.visibility.visible; the
admin, the subscriber head and the director see every ticket)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import ColumnElement, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from channels.blobs import BlobNotFound
from router.models import OutgoingLetter, Staff, Ticket, TicketHistory
from router.review.visibility import visible
from router.timeutil import to_utc, utcnow
from workers.web.auth import StaffDep, current_staff, safe_next
from workers.web.csrf import verify_csrf
from workers.web.deps import SessionDep, SettingsDep
from workers.web.errors import PageError
from workers.web.pages.access import serving_client
from workers.web.templating import flash, render
from workers.web.typed_ids import RecordId

PENDING_LIMIT = 200
SENT_LIMIT = 30
POST_ROOM = frozenset({"operator"})  # every letter; the admin sees every ticket anyway
SENT_NOTE = "Письмо отправлено по почте"

router = APIRouter(dependencies=[Depends(current_staff)])


async def letters_of(session: AsyncSession, staff: Staff, request: Request) -> ColumnElement[bool]:
    """The letters a staff member may see, as a condition on the joined Ticket."""
    return true() if staff.role in POST_ROOM else await visible(session, staff, serving_client(request))


async def _letter(session: AsyncSession, staff: Staff, request: Request,
                  letter_id: int) -> tuple[OutgoingLetter, Ticket]:
    letter = await session.get(OutgoingLetter, letter_id)
    if letter is None:
        raise PageError(404, "Письмо не найдено.")
    ticket = await session.scalar(select(Ticket).where(
        Ticket.id == letter.ticket_id, await letters_of(session, staff, request)))
    if ticket is None:
        raise PageError(403, "Это письмо относится к претензии, к которой у вас нет доступа.")
    return letter, ticket


@router.get("/letters")
async def letters_page(request: Request, staff: StaffDep, session: SessionDep) -> Response:
    seen = await letters_of(session, staff, request)
    listed = select(OutgoingLetter, Ticket.number).join(Ticket, Ticket.id == OutgoingLetter.ticket_id).where(seen)
    pending = (await session.execute(
        listed.where(OutgoingLetter.status == "pending")
        .order_by(OutgoingLetter.created_at, OutgoingLetter.id).limit(PENDING_LIMIT))).all()
    sent = (await session.execute(
        listed.where(OutgoingLetter.status == "sent")
        .order_by(OutgoingLetter.sent_at.desc(), OutgoingLetter.id.desc()).limit(SENT_LIMIT))).all()
    return render(request, "letters.html", {
        "pending": pending, "sent": sent, "links_to_tickets": staff.role not in POST_ROOM})


@router.get("/letters/{letter_id}.pdf")
async def letter_pdf(request: Request, letter_id: RecordId, staff: StaffDep,
                     session: SessionDep, settings: SettingsDep) -> Response:
    letter, ticket = await _letter(session, staff, request, letter_id)
    try:
        data = await asyncio.to_thread(settings.blobs.get, letter.blob_key)
    except BlobNotFound:
        raise PageError(404, "Файл письма не найден в хранилище.") from None
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="letter-{ticket.number}-{letter.outbox_id}.pdf"',
        "X-Content-Type-Options": "nosniff",
    })


@router.post("/letters/{letter_id}/sent", dependencies=[Depends(verify_csrf)])
async def letter_sent(
    letter_id: RecordId, staff: StaffDep, session: SessionDep, request: Request,
    next: Annotated[str, Form(max_length=2000)] = "/letters",
) -> Response:
    letter, ticket = await _letter(session, staff, request, letter_id)
    now = to_utc(utcnow())
    # Conditional update: two clerks pressing "sent" at once record it once.
    marked = await session.execute(
        update(OutgoingLetter)
        .where(OutgoingLetter.id == letter.id, OutgoingLetter.status == "pending")
        .values(status="sent", sent_at=now, sent_by=staff.login)
    )
    if getattr(marked, "rowcount", 0) != 1:
        await session.rollback()
        flash(request, "Это письмо уже отмечено отправленным.")
        return RedirectResponse(safe_next(next), status_code=303)
    session.add(TicketHistory(
        ticket_id=ticket.id, at=now, actor=staff.login, action="letter_sent",
        from_stage=ticket.stage, to_stage=ticket.stage, note=SENT_NOTE,
    ))
    await session.commit()
    flash(request, "Письмо отмечено отправленным.")
    return RedirectResponse(safe_next(next), status_code=303)
