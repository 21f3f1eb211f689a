"""The staff start page, per role: my alerts, my open tickets by nearest deadline, the department's deep
reviews (department head), «На решение» (subscriber head), disputes, approvals and measures (director), the
unassigned queue with an assign form, call-back tasks. Every list holds only tickets the user may see."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import ColumnElement, and_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.identity_claims import claimed_contract
from router.models import CallbackTask, Client, Staff, StaffAlert, Ticket, TicketDecision, TicketHistory
from router.review.visibility import visible
from router.timeutil import to_utc, utcnow
from workers.app.settings import Settings
from workers.web.auth import StaffDep, current_staff, safe_next
from workers.web.clock_view import ClockView, nearest
from workers.web.csrf import verify_csrf
from workers.web.deps import SessionDep, SettingsDep
from workers.web.errors import PageError
from workers.web.pages.access import serving_client
from workers.web.templating import flash, render
from workers.web.typed_ids import RecordId

LIST_LIMIT = 100

router = APIRouter(dependencies=[Depends(current_staff)])


# Generative: each .where() below makes a new statement, this one is never changed.
# The claimed contract: a chat account's identity claim waits (router.identity_claims), shown as a badge.
TICKETS_WITH_CLIENTS = select(Ticket, Client.name, claimed_contract(Ticket.id)).outerjoin(
    Client, Client.id == Ticket.client_id)


@dataclass(frozen=True)
class Row:
    ticket: Ticket
    client_name: str | None
    clock: ClockView  # the running clock nearest its due moment (workers.web.clock_view.nearest)
    claimed: str | None = None  # the contract an unverified chat account claims (badge «Личность не подтверждена»)

    @property
    def due(self) -> datetime:
        return self.clock.due


ClockOf = Callable[[Ticket], ClockView]


def clock_of(settings: Settings, now: datetime) -> ClockOf:
    """The queue row's clock of a ticket, in the company's working time at `now`."""
    return lambda ticket: nearest(ticket, settings.calendar, settings.sla_policy, now)


async def _rows(session: AsyncSession, condition: ColumnElement[bool], clock: ClockOf,
                by_deadline: bool = True) -> list[Row]:
    found = (await session.execute(
        TICKETS_WITH_CLIENTS.where(condition).order_by(Ticket.created_at, Ticket.id).limit(LIST_LIMIT))).all()
    rows = [Row(ticket, name, clock(ticket), claimed) for ticket, name, claimed in found]
    return sorted(rows, key=lambda r: r.due) if by_deadline else rows


def _callbacks_of(staff: Staff, seen: ColumnElement[bool]) -> ColumnElement[bool]:
    """Calling clients back is the operators' work: they see every task (phone and text, no ticket page);
    anyone else sees the tasks of the tickets they may open."""
    return true() if staff.role == "operator" else seen


@router.get("/")
async def dashboard(request: Request, staff: StaffDep, session: SessionDep, settings: SettingsDep) -> Response:
    clock = clock_of(settings, utcnow())
    seen = await visible(session, staff, serving_client(request))
    is_open = Ticket.status == "open"
    absent = [] if staff.role != "manager" else list(await session.scalars(
        select(Staff.login).where(Staff.deputy_login == staff.login, Staff.active.is_(False))))
    mine = await _rows(session, and_(Ticket.assignee_login.in_([staff.login, *absent]), is_open, seen), clock)
    lists: dict[str, list[Row]] = {}
    if staff.role == "department_head":
        lists["department"] = await _rows(session, and_(
            Ticket.stage == "deep_review", Ticket.department == staff.department, seen), clock)
    if staff.role in ("subscriber_head", "admin"):
        lists["decision"] = await _rows(session, and_(Ticket.stage == "decision", seen), clock)
    if staff.role in ("director", "admin"):
        lists["disputes"] = await _rows(session, and_(Ticket.stage == "dispute", seen), clock)
        lists["approvals"] = await _rows(session, and_(Ticket.director_pending.is_(True), is_open, seen), clock)
        pending = select(TicketDecision.ticket_id).where(
            TicketDecision.culprits_measures.is_not(None), TicketDecision.measures_approved_at.is_(None))
        lists["measures"] = await _rows(session, and_(Ticket.id.in_(pending), seen), clock)
    show_queue = staff.role in ("manager", "subscriber_head", "director", "admin")
    queue = await _rows(session, and_(Ticket.assignee_login.is_(None), is_open, seen), clock,
                        by_deadline=False) if show_queue else []
    managers = list(await session.scalars(
        select(Staff).where(Staff.role == "manager", Staff.active.is_(True)).order_by(Staff.name)))
    callbacks = (await session.execute(
        select(CallbackTask, Ticket.number)
        .join(Ticket, Ticket.id == CallbackTask.ticket_id)
        .where(CallbackTask.done_at.is_(None), _callbacks_of(staff, seen))
        .order_by(CallbackTask.created_at, CallbackTask.id).limit(LIST_LIMIT)
    )).all()
    alerts = (await session.execute(
        select(StaffAlert, Ticket.number)
        .outerjoin(Ticket, Ticket.id == StaffAlert.ticket_id)
        .where(StaffAlert.login == staff.login, StaffAlert.read_at.is_(None))
        .order_by(StaffAlert.created_at.desc(), StaffAlert.id.desc()).limit(LIST_LIMIT)
    )).all()
    return render(request, "dashboard.html", {
        "mine": mine, "lists": lists, "queue": queue, "show_queue": show_queue, "managers": managers,
        "can_assign": staff.role in ("subscriber_head", "admin", "manager"),
        "callbacks": callbacks, "alerts": alerts})


@router.post("/alerts/{alert_id}/read", dependencies=[Depends(verify_csrf)])
async def alert_read(
    alert_id: RecordId, staff: StaffDep, session: SessionDep,
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
    task_id: RecordId, staff: StaffDep, session: SessionDep, request: Request,
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    task = await session.get(CallbackTask, task_id)
    if task is None:
        raise PageError(404, "Задача обратного звонка не найдена.")
    allowed = await session.scalar(select(Ticket.id).where(
        Ticket.id == task.ticket_id, _callbacks_of(staff, await visible(session, staff, serving_client(request)))))
    if allowed is None:
        raise PageError(403, "Эта задача обратного звонка относится к претензии, к которой у вас нет доступа.")
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
