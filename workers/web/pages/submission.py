"""What the operator sees after submitting: "being registered…" until the router has made the ticket."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.models import Submission, Ticket
from workers.web.auth import current_staff
from workers.web.deps import SessionDep
from workers.web.errors import PageError
from workers.web.templating import render

router = APIRouter(dependencies=[Depends(current_staff)])


def _submission_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise PageError(404, "Обращение не найдено.") from None


async def _ticket_number(session: AsyncSession, submission_id: str) -> tuple[bool, str | None]:
    row = (await session.execute(
        select(Submission.id, Ticket.number)
        .outerjoin(Ticket, Ticket.id == Submission.ticket_id)
        .where(Submission.id == submission_id)
    )).first()
    return (row is not None, row[1] if row is not None else None)


# Declared before the page route: "{id}" would otherwise swallow "{id}.json".
@router.get("/submissions/{submission_id}.json")
async def submission_json(submission_id: str, session: SessionDep) -> dict[str, object]:
    sid = _submission_id(submission_id)
    _, number = await _ticket_number(session, sid)
    return {"submission_id": sid, "status": "registered" if number else "accepted", "ticket_number": number}


@router.get("/submissions/{submission_id}")
async def submission_page(request: Request, submission_id: str, session: SessionDep) -> Response:
    sid = _submission_id(submission_id)
    routed, number = await _ticket_number(session, sid)
    return render(request, "submission.html", {"submission_id": sid, "routed": routed, "number": number})
