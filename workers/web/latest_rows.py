"""A ticket's latest rows of a list, and how many there are: what the staff card and the REST API show of lists a
client can grow without bound.

A client may write to one ticket thousands of times (a chat flood threads into the open ticket): each follow-up
is a submission, a history entry and often an answer. Reading every one on each view made a 15 MB card and a
3.7 MB API answer per ticket at 10,000 follow-ups; readers get the latest SHOWN_ROWS and the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.models import TicketHistory

SHOWN_ROWS = 200
T = TypeVar("T")


@dataclass(frozen=True)
class Shown(Generic[T]):
    """The rows shown, oldest first; whether there are more, and how many in all where that is known."""

    rows: list[T]
    cut: bool = False
    total: int | None = None


async def latest(session: AsyncSession, model: Any, ticket_id: int, *order: Any, every: bool = False,
                 where: Any = None) -> Shown[Any]:
    """The ticket's latest rows of `model` by `order` (ascending columns), oldest first; `total` is always counted
    (one COUNT only when the window is full)."""
    condition = model.ticket_id == ticket_id if where is None else (model.ticket_id == ticket_id) & where
    query = select(model).where(condition)
    if every:
        rows = list(await session.scalars(query.order_by(*order)))
        return Shown(rows, False, len(rows))
    rows = list(await session.scalars(query.order_by(*(column.desc() for column in order)).limit(SHOWN_ROWS)))
    total = len(rows) if len(rows) < SHOWN_ROWS else await _count(session, model, condition)
    return Shown(rows[::-1], total > len(rows), total)


async def _count(session: AsyncSession, model: Any, condition: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(condition)) or 0)


async def history(session: AsyncSession, ticket_id: int, *, every: bool = False) -> Shown[TicketHistory]:
    """The ticket's history, in the order it happened."""
    return await latest(session, TicketHistory, ticket_id, TicketHistory.at, TicketHistory.id, every=every)


async def history_page(session: AsyncSession, ticket_id: int, limit: int, offset: int) -> Shown[TicketHistory]:
    """`limit` entries of the ticket's history from `offset`, oldest first, and how many there are in all."""
    condition = TicketHistory.ticket_id == ticket_id
    rows = list(await session.scalars(select(TicketHistory).where(condition)
                                      .order_by(TicketHistory.at, TicketHistory.id).limit(limit).offset(offset)))
    total = await _count(session, TicketHistory, condition)
    return Shown(rows, offset + len(rows) < total, total)
