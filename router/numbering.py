"""Ticket numbers C-YYYY-NNNNNN from a per-year counter row, inside the caller's transaction.

Numbers never have gaps or duplicates: the counter moves in the same transaction as the tickets,
so a rollback returns the numbers, and concurrent routers queue on the counter row.
"""

from __future__ import annotations

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from router.models import TicketCounter, cast_table


def format_number(year: int, seq: int) -> str:
    return f"C-{year:04d}-{seq:06d}"


# Built once: a routing batch runs them every time, and building a statement costs more than running it.
# Core statements on the table: no ORM session synchronisation to work out.
_COUNTERS = cast_table(TicketCounter)
_BUMP = (
    update(_COUNTERS)
    .where(_COUNTERS.c.year == bindparam("counter_year"))
    .values(last_seq=_COUNTERS.c.last_seq + bindparam("by"))
    .returning(_COUNTERS.c.last_seq)
)
_SAVE = update(_COUNTERS).where(_COUNTERS.c.year == bindparam("counter_year")).values(
    last_seq=bindparam("issued_up_to"))


def _bump(session: Session, year: int, by: int) -> int | None:
    # UPDATE ... RETURNING takes the row lock on PostgreSQL (held to commit), so concurrent routers
    # never share a number; with by=0 it only takes the lock and reads the last number issued.
    last: int | None = session.scalar(_BUMP, {"counter_year": year, "by": by})
    return last


def _bump_or_create(session: Session, year: int, by: int) -> int:
    seq = _bump(session, year, by)
    if seq is None:
        try:
            with session.begin_nested():
                session.execute(insert(TicketCounter).values(year=year, last_seq=by))
            seq = by
        except IntegrityError:  # another router created the year's row first
            seq = _bump(session, year, by)
    assert seq is not None
    return seq


def next_ticket_number(session: Session, year: int) -> str:
    return format_number(year, _bump_or_create(session, year, 1))


class TicketNumbers:
    """Numbers for one batch: the counter row is claimed once, numbers counted in memory, saved once.

    Call `save()` before the transaction commits.
    """

    def __init__(self, session: Session, year: int) -> None:
        self._session = session
        self._year = year
        self._last: int | None = None  # claimed lazily: a batch of duplicates never locks the row
        self._issued = 0

    def next(self) -> str:
        if self._last is None:
            self._last = _bump_or_create(self._session, self._year, 0)
        self._last += 1
        self._issued += 1
        return format_number(self._year, self._last)

    def save(self) -> None:
        if self._issued:
            self._session.execute(_SAVE, {"counter_year": self._year, "issued_up_to": self._last})
