"""Record access as an SQL condition on Ticket: the same rules as access.can_view, for lists and searches
(a page of tickets must count only what the reader may see)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from router.models import Staff, Ticket, TicketDepartment
from router.review.access import EVERYTHING
from router.workflow import Stage


async def visible(session: AsyncSession, staff: Staff, serving: int | None) -> ColumnElement[bool]:
    """The tickets a staff member may see, as a condition on Ticket (the same rules as can_view)."""
    if not staff.active:
        return false()
    if staff.role in EVERYTHING:
        return true()
    if staff.role == "operator":
        return Ticket.client_id == serving if serving is not None else false()
    if staff.role == "manager":
        absent = list(await session.scalars(select(Staff.login).where(
            Staff.deputy_login == staff.login, Staff.active.is_(False))))
        return or_(Ticket.assignee_login.in_([staff.login, *absent]),
                   (Ticket.assignee_login.is_(None)) & (Ticket.stage == Stage.REGISTERED.value))
    if staff.role == "department_head":
        had = select(TicketDepartment.ticket_id).where(TicketDepartment.department == staff.department)
        return or_(Ticket.department == staff.department, Ticket.id.in_(had))
    return false()
