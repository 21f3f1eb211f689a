"""Record access for the staff pages (router.review.can_view), read asynchronously, and the directory's
names for showing people and departments instead of codes."""

from __future__ import annotations

import re

from fastapi import Request
from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from router.models import Staff, Ticket, TicketDecision, TicketDepartment
from router.review import TicketFacts, can_view
from workers.app import labels
from workers.web.errors import PageError

SERVING_CLIENT = "serving_client"  # the client whose card an operator has open in the phone flow


def serving_client(request: Request) -> int | None:
    value = request.session.get(SERVING_CLIENT)
    return value if isinstance(value, int) else None


def serve_client(request: Request, client_id: int) -> None:
    request.session[SERVING_CLIENT] = client_id


async def facts_of(session: AsyncSession, ticket: Ticket) -> TicketFacts:
    """router.review.facts.load_facts, read-only and without locking the ticket."""
    departments = (await session.scalars(
        select(TicketDepartment.department).where(TicketDepartment.ticket_id == ticket.id))).all()
    pending = await session.scalar(select(TicketDecision.id).where(
        TicketDecision.ticket_id == ticket.id, TicketDecision.culprits_measures.is_not(None),
        TicketDecision.measures_approved_at.is_(None)).limit(1))
    owner = (await session.scalar(select(Staff).where(Staff.login == ticket.assignee_login))
             if ticket.assignee_login else None)
    return TicketFacts(owner=owner, departments=frozenset(departments), measures_pending=pending is not None)


async def require_view(request: Request, session: AsyncSession, staff: Staff, ticket: Ticket) -> TicketFacts:
    facts = await facts_of(session, ticket)
    if not can_view(staff, ticket, facts, serving_client(request)):
        raise PageError(403, f"У вас нет доступа к претензии {ticket.number}.")
    return facts


async def visible(session: AsyncSession, staff: Staff, serving: int | None) -> ColumnElement[bool]:
    """The tickets a staff member may see, as a condition on Ticket (the same rules as can_view)."""
    if not staff.active:
        return false()
    if staff.role in ("subscriber_head", "director", "admin"):
        return true()
    if staff.role == "operator":
        return Ticket.client_id == serving if serving is not None else false()
    if staff.role == "manager":
        absent = list(await session.scalars(select(Staff.login).where(
            Staff.deputy_login == staff.login, Staff.active.is_(False))))
        return or_(Ticket.assignee_login.in_([staff.login, *absent]),
                   (Ticket.assignee_login.is_(None)) & (Ticket.stage == "registered"))
    if staff.role == "department_head":
        had = select(TicketDepartment.ticket_id).where(TicketDepartment.department == staff.department)
        return or_(Ticket.department == staff.department, Ticket.id.in_(had))
    return false()


async def directory(session: AsyncSession) -> dict[str, Staff]:
    return {s.login: s for s in await session.scalars(select(Staff))}


def humanize(note: str | None, people: dict[str, Staff]) -> str:
    """A history note without logins or department codes: names and titles instead."""
    if not note:
        return ""
    for login, person in people.items():
        note = note.replace(f" ({login})", "")
        note = re.sub(rf"(?<![\w.@-]){re.escape(login)}(?![\w@-])", person.name, note)
    for code, title in labels.QUEUE_TITLES.items():
        note = re.sub(rf"\b(отдел[еа]?) {re.escape(code)}\b", rf"\1 «{title}»", note)
    return note
