"""Who gets a new ticket: the personal manager, else the deputy, else the least-loaded manager."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect

from router.models import Client, Staff, Ticket, cast_table

SUBSCRIBER_DEPARTMENT = "subscriber"  # "Абонентский отдел": owns every complaint first


@dataclass(frozen=True)
class Assignment:
    assignee: str | None
    queue: str
    reason: str


class ManagedClient(Protocol):
    @property
    def manager_login(self) -> str | None: ...


@dataclass(frozen=True)
class StaffInfo:
    login: str
    department: str
    deputy_login: str | None
    active: bool
    name: str = ""
    role: str = "manager"


def _open_count() -> ScalarSelect[int]:
    return (
        select(func.count(Ticket.id))
        .where(Ticket.assignee_login == Staff.login, Ticket.status == "open")
        .correlate(Staff)
        .scalar_subquery()
    )


def _candidates(department: str) -> list[ColumnElement[bool]]:
    return [Staff.role == "manager", Staff.department == department, Staff.active.is_(True)]


def least_loaded_manager(session: Session, department: str = SUBSCRIBER_DEPARTMENT) -> str | None:
    stmt = select(Staff.login).where(*_candidates(department)).order_by(_open_count(), Staff.login).limit(1)
    return session.scalar(stmt)


# Built once on the plain table (no ORM work per execution): each routing batch reads its managers.
_STAFF_TABLE = cast_table(Staff).c
_STAFF = select(_STAFF_TABLE.login, _STAFF_TABLE.department, _STAFF_TABLE.deputy_login, _STAFF_TABLE.active,
                _STAFF_TABLE.name, _STAFF_TABLE.role).where(_STAFF_TABLE.login.in_(bindparam("logins", expanding=True)))


class Assigner:
    """The assignment rules for a batch of tickets in one transaction.

    Staff rows are read once per batch, and the open-ticket loads once, then kept current in
    memory as the batch assigns tickets, so the least-loaded rule takes turns within a batch too.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._staff: dict[str, StaffInfo | None] = {}
        self._db_loads: dict[str, int] | None = None
        self._batch_loads: Counter[str] = Counter()

    def prefetch(self, managers: Iterable[str | None]) -> None:
        """Read the given managers and their deputies in two queries instead of two per ticket."""
        found = self._load({login for login in managers if login})
        self._load({s.deputy_login for s in found if s.deputy_login})

    def _load(self, logins: set[str]) -> list[StaffInfo]:
        missing = logins - self._staff.keys()
        if missing:
            rows = self._session.execute(_STAFF, {"logins": list(missing)}).all()
            for row in rows:
                self._staff[row.login] = StaffInfo(row.login, row.department, row.deputy_login, row.active,
                                                   row.name, row.role)
            for login in missing - {row.login for row in rows}:
                self._staff[login] = None
        return [s for login in logins if (s := self._staff[login]) is not None]

    def _get(self, login: str | None) -> StaffInfo | None:
        if not login:
            return None
        if login not in self._staff:
            self._load({login})
        return self._staff[login]

    def staff(self, login: str | None) -> StaffInfo | None:
        """A staff member read once per batch (the signer of the texts routing sends)."""
        return self._get(login)

    def _least_loaded(self) -> str | None:
        if self._db_loads is None:
            stmt = select(Staff.login, _open_count()).where(*_candidates(SUBSCRIBER_DEPARTMENT))
            self._db_loads = {login: int(count) for login, count in self._session.execute(stmt)}
        if not self._db_loads:
            return None
        loads = self._db_loads
        return min(loads, key=lambda login: (loads[login] + self._batch_loads[login], login))

    def assign(self, client: ManagedClient | None) -> Assignment:
        """The rules for one new ticket; the caller reports the ticket with `took()` once it makes it."""
        if client is None:
            return Assignment(None, SUBSCRIBER_DEPARTMENT, "клиент не найден: очередь абонентского отдела")
        manager = self._get(client.manager_login)
        if manager is not None and manager.active:
            return Assignment(manager.login, manager.department, "персональный менеджер")
        deputy = self._get(manager.deputy_login) if manager is not None else None
        if deputy is not None and deputy.active:
            return Assignment(deputy.login, deputy.department, "заместитель персонального менеджера")
        fallback = self._least_loaded()
        if fallback is not None:
            return Assignment(fallback, SUBSCRIBER_DEPARTMENT, "наименее загруженный менеджер абонентского отдела")
        return Assignment(None, SUBSCRIBER_DEPARTMENT, "нет активных менеджеров: очередь абонентского отдела")

    def took(self, assignment: Assignment) -> None:
        """A new open ticket went to `assignment.assignee`: it counts towards their load."""
        if assignment.assignee:
            self._batch_loads[assignment.assignee] += 1


def assign(session: Session, client: Client | None) -> Assignment:
    return Assigner(session).assign(client)


async def choose_assignee(session: AsyncSession, client: Client | None) -> Assignment:
    return await session.run_sync(assign, client)
