"""Ticket reads shared by the staff pages and the REST API; rows become router.contracts.TicketView."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.contracts import TICKET_NUMBER_PATTERN, Clocks, Deadlines, HistoryEntry, TicketView
from router.models import Client, Ticket, TicketHistory
from router.timeutil import aware
from router.workflow import Stage
from workers.web import latest_rows
from workers.web.latest_rows import Shown
from workers.web.typed_ids import record_id

_NUMBER = re.compile(TICKET_NUMBER_PATTERN)


def is_ticket_number(value: str) -> bool:
    return bool(_NUMBER.match(value))


async def ticket_by_number(session: AsyncSession, number: str) -> Ticket | None:
    if not is_ticket_number(number):
        return None
    return await session.scalar(select(Ticket).where(Ticket.number == number))


def _stage(value: str | None) -> Stage | None:
    return Stage(value) if value else None


def _aware_or_none(value: datetime | None) -> datetime | None:
    return aware(value) if value is not None else None


def history_entry(row: TicketHistory) -> HistoryEntry:
    return HistoryEntry(at=aware(row.at), actor=row.actor, action=row.action, from_stage=_stage(row.from_stage),
                        to_stage=_stage(row.to_stage), note=row.note)


def to_contract(
    ticket: Ticket, client_name: str | None, history: Shown[TicketHistory], allowed_actions: Sequence[str] = (),
) -> TicketView:
    """The contract of a ticket with the latest entries of its history; `allowed_actions` are those of the staff
    member the caller acts for."""
    return TicketView(
        number=ticket.number,
        client_id=ticket.client_id,
        client_name=client_name,
        assignee=ticket.assignee_login,
        queue=ticket.queue,
        stage=Stage(ticket.stage),
        status="closed" if ticket.status == "closed" else "open",
        channel=ticket.channel,
        subject=ticket.subject,
        text=ticket.text,
        category=ticket.category,
        created_at=aware(ticket.created_at),
        clocks=Clocks(
            first_response_due=aware(ticket.first_response_due),
            resolution_due=aware(ticket.resolution_due),
            legal_due=aware(ticket.legal_due),
        ),
        history=[history_entry(h) for h in history.rows],
        history_total=history.total if history.total is not None else len(history.rows),
        handler=ticket.handler_login,
        department=ticket.department,
        deadlines=Deadlines(
            first_response=aware(ticket.first_response_due),
            resolution=aware(ticket.resolution_due),
            legal=aware(ticket.legal_due),
            acknowledged_at=_aware_or_none(ticket.acknowledged_at),
            resolved_at=_aware_or_none(ticket.resolved_at),
            dispute=_aware_or_none(ticket.dispute_due),
        ),
        waiting_for_client=bool(ticket.waiting_for_client),
        director_pending=bool(ticket.director_pending),
        review_round=ticket.review_round or 0,
        allowed_actions=list(allowed_actions),
    )


async def ticket_contract(session: AsyncSession, ticket: Ticket, allowed_actions: Sequence[str] = ()) -> TicketView:
    client = await session.get(Client, ticket.client_id) if ticket.client_id is not None else None
    history = await latest_rows.history(session, ticket.id)
    return to_contract(ticket, client.name if client else None, history, allowed_actions)


async def clients_matching(session: AsyncSession, value: str) -> list[int]:
    """`client` of the ticket list: a contract number first, else a numeric client id."""
    value = value.strip()
    by_contract = await session.scalar(select(Client.id).where(Client.contract_number == value))
    if by_contract is not None:
        return [by_contract]
    client_id = record_id(value)
    if client_id is not None:
        by_id = await session.scalar(select(Client.id).where(Client.id == client_id))
        if by_id is not None:
            return [by_id]
    return []


@dataclass(frozen=True)
class TicketPage:
    items: list[Ticket]
    total: int


async def list_tickets(
    session: AsyncSession, client_ids: Sequence[int] | None, status: str | None, limit: int, offset: int,
    where: ColumnElement[bool] | None = None,
) -> TicketPage:
    stmt = select(Ticket) if where is None else select(Ticket).where(where)
    if client_ids is not None:
        stmt = stmt.where(Ticket.client_id.in_(client_ids))
    if status is not None:
        stmt = stmt.where(Ticket.status == status)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = await session.scalars(stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit).offset(offset))
    return TicketPage(list(rows), total)
