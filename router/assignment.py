"""Who gets a new ticket: the personal manager, else the deputy, else the least-loaded manager."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from router.models import Client, Staff, Ticket

SUBSCRIBER_DEPARTMENT = "subscriber"  # "Абонентский отдел": owns every complaint first


@dataclass(frozen=True)
class Assignment:
    assignee: str | None
    queue: str
    reason: str


def _staff(session: Session, login: str | None) -> Staff | None:
    if not login:
        return None
    return session.scalar(select(Staff).where(Staff.login == login))


def least_loaded_manager(session: Session, department: str = SUBSCRIBER_DEPARTMENT) -> str | None:
    open_count = (
        select(func.count(Ticket.id))
        .where(Ticket.assignee_login == Staff.login, Ticket.status == "open")
        .correlate(Staff)
        .scalar_subquery()
    )
    stmt = (
        select(Staff.login)
        .where(Staff.role == "manager", Staff.department == department, Staff.active.is_(True))
        .order_by(open_count, Staff.login)
        .limit(1)
    )
    return session.scalar(stmt)


def assign(session: Session, client: Client | None) -> Assignment:
    if client is None:
        return Assignment(None, SUBSCRIBER_DEPARTMENT, "клиент не найден: очередь абонентского отдела")
    manager = _staff(session, client.manager_login)
    if manager is not None and manager.active:
        return Assignment(manager.login, manager.department, "персональный менеджер")
    deputy = _staff(session, manager.deputy_login) if manager is not None else None
    if deputy is not None and deputy.active:
        return Assignment(deputy.login, deputy.department, "заместитель персонального менеджера")
    fallback = least_loaded_manager(session)
    if fallback is not None:
        return Assignment(fallback, SUBSCRIBER_DEPARTMENT, "наименее загруженный менеджер абонентского отдела")
    return Assignment(None, SUBSCRIBER_DEPARTMENT, "нет активных менеджеров: очередь абонентского отдела")


async def choose_assignee(session: AsyncSession, client: Client | None) -> Assignment:
    return await session.run_sync(assign, client)
