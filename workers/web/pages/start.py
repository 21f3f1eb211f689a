"""The staff start page: my alerts, my open tickets, the subscriber department queue, call-back tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select, update

from router.models import CallbackTask, Client, StaffAlert, Ticket, TicketHistory
from router.timeutil import to_utc, utcnow
from workers.web.auth import StaffDep, current_staff, safe_next
from workers.web.csrf import verify_csrf
from workers.web.deps import SessionDep
from workers.web.errors import PageError
from workers.web.templating import flash, render

LIST_LIMIT = 100

router = APIRouter(dependencies=[Depends(current_staff)])


# Generative: each .where() below makes a new statement, this one is never changed.
TICKETS_WITH_CLIENTS = select(Ticket, Client.name).outerjoin(Client, Client.id == Ticket.client_id)


@router.get("/")
async def dashboard(request: Request, staff: StaffDep, session: SessionDep) -> Response:
    mine = (await session.execute(
        TICKETS_WITH_CLIENTS
        .where(Ticket.assignee_login == staff.login, Ticket.status == "open")
        .order_by(Ticket.first_response_due, Ticket.id).limit(LIST_LIMIT)
    )).all()
    queue = (await session.execute(
        TICKETS_WITH_CLIENTS
        .where(Ticket.assignee_login.is_(None), Ticket.status == "open")
        .order_by(Ticket.created_at, Ticket.id).limit(LIST_LIMIT)
    )).all()
    callbacks = (await session.execute(
        select(CallbackTask, Ticket.number)
        .join(Ticket, Ticket.id == CallbackTask.ticket_id)
        .where(CallbackTask.done_at.is_(None))
        .order_by(CallbackTask.created_at, CallbackTask.id).limit(LIST_LIMIT)
    )).all()
    alerts = (await session.execute(
        select(StaffAlert, Ticket.number)
        .outerjoin(Ticket, Ticket.id == StaffAlert.ticket_id)
        .where(StaffAlert.login == staff.login, StaffAlert.read_at.is_(None))
        .order_by(StaffAlert.created_at.desc(), StaffAlert.id.desc()).limit(LIST_LIMIT)
    )).all()
    return render(request, "dashboard.html",
                  {"mine": mine, "queue": queue, "callbacks": callbacks, "alerts": alerts})


@router.post("/alerts/{alert_id}/read", dependencies=[Depends(verify_csrf)])
async def alert_read(
    alert_id: int, staff: StaffDep, session: SessionDep,
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    # Only one's own alerts: another login's id simply matches nothing.
    await session.execute(
        update(StaffAlert)
        .where(StaffAlert.id == alert_id, StaffAlert.login == staff.login, StaffAlert.read_at.is_(None))
        .values(read_at=to_utc(utcnow()))
    )
    await session.commit()
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/callbacks/{task_id}/done", dependencies=[Depends(verify_csrf)])
async def callback_done(
    task_id: int, staff: StaffDep, session: SessionDep, request: Request,
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    task = await session.get(CallbackTask, task_id)
    if task is None:
        raise PageError(404, "Задача обратного звонка не найдена.")
    now = to_utc(utcnow())
    # Conditional update: two operators pressing "done" at once record it once.
    marked = await session.execute(
        update(CallbackTask)
        .where(CallbackTask.id == task_id, CallbackTask.done_at.is_(None))
        .values(done_at=now, done_by=staff.login)
    )
    if getattr(marked, "rowcount", 0) != 1:
        await session.rollback()
        flash(request, "Эта задача уже отмечена выполненной.")
        return RedirectResponse(safe_next(next), status_code=303)
    ticket = await session.get(Ticket, task.ticket_id)
    session.add(TicketHistory(
        ticket_id=task.ticket_id, at=now, actor=staff.login, action="callback_done",
        from_stage=ticket.stage if ticket else None, to_stage=ticket.stage if ticket else None,
        note="Обратный звонок выполнен: ответ передан клиенту по телефону",
    ))
    await session.commit()
    flash(request, "Обратный звонок отмечен выполненным.")
    return RedirectResponse(safe_next(next), status_code=303)
