"""Reading what the rules need: the ticket (locked for the transaction), the staff, the ticket's facts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from router.models import IdentityClaim, Staff, Ticket, TicketDecision, TicketDepartment
from router.review.access import TicketFacts
from router.review.errors import Conflict, InvalidFields, NotFound


def load_ticket(session: Session, number: str) -> Ticket:
    ticket = session.scalar(select(Ticket).where(Ticket.number == number).with_for_update())
    if ticket is None:
        raise NotFound(f"Претензия {number} не найдена.", f"Ticket {number} not found.")
    return ticket


def load_staff(session: Session, login: str | None) -> Staff | None:
    if not login:
        return None
    return session.scalar(select(Staff).where(Staff.login == login))


def load_facts(session: Session, ticket: Ticket) -> TicketFacts:
    departments = session.scalars(
        select(TicketDepartment.department).where(TicketDepartment.ticket_id == ticket.id)
    ).all()
    pending = session.scalar(
        select(TicketDecision.id).where(
            TicketDecision.ticket_id == ticket.id, TicketDecision.culprits_measures.is_not(None),
            TicketDecision.measures_approved_at.is_(None),
        ).limit(1)
    )
    claim = session.scalar(select(IdentityClaim.id).where(
        IdentityClaim.ticket_id == ticket.id, IdentityClaim.status == "pending").limit(1))
    return TicketFacts(owner=load_staff(session, ticket.assignee_login), departments=frozenset(departments),
                       measures_pending=pending is not None, identity_claim_pending=claim is not None)


def first_active(session: Session, role: str, department: str | None = None) -> Staff | None:
    """The first active staff member of a role (and department), by login: the subscriber head, the director."""
    stmt = select(Staff).where(Staff.role == role, Staff.active.is_(True))
    if department is not None:
        stmt = stmt.where(Staff.department == department)
    return session.scalar(stmt.order_by(Staff.login).limit(1))


def active_of_role(session: Session, role: str) -> list[Staff]:
    return list(session.scalars(select(Staff).where(Staff.role == role, Staff.active.is_(True))
                                .order_by(Staff.login)))


def department_head(session: Session, department: str) -> Staff:
    """The head of an existing department; InvalidFields for an unknown code, Conflict without a head."""
    known = session.scalar(select(Staff.id).where(Staff.department == department).limit(1))
    if known is None:
        raise InvalidFields(f"Нет такого отдела: {department}.", f"No such department: {department}.")
    head = first_active(session, "department_head", department)
    if head is None:
        raise Conflict(f"В отделе {department} нет действующего начальника: передать претензию некому.",
                       f"The department {department} has no active head to take the ticket.")
    return head


def manager(session: Session, login: str) -> Staff:
    """An active manager to own a ticket; InvalidFields otherwise."""
    staff = load_staff(session, login)
    if staff is None or staff.role != "manager" or not staff.active:
        raise InvalidFields(f"{login} — не действующий менеджер: назначить претензию нельзя.",
                            f"{login} is not an active manager.")
    return staff
