"""Ticket numbers C-YYYY-NNNNNN from a per-year counter row, inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from router.models import TicketCounter


def format_number(year: int, seq: int) -> str:
    return f"C-{year:04d}-{seq:06d}"


def next_ticket_number(session: Session, year: int) -> str:
    # UPDATE ... RETURNING takes the row lock on PostgreSQL, so concurrent routers never share a number.
    bump = (
        update(TicketCounter)
        .where(TicketCounter.year == year)
        .values(last_seq=TicketCounter.last_seq + 1)
        .returning(TicketCounter.last_seq)
    )
    seq = session.scalar(bump)
    if seq is None:
        try:
            with session.begin_nested():
                session.execute(insert(TicketCounter).values(year=year, last_seq=1))
            seq = 1
        except IntegrityError:  # another router created the year's row first
            seq = session.scalar(bump)
    assert seq is not None
    return format_number(year, seq)
