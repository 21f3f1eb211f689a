"""Writing validated rows in batches: chunked lookups, change detection, and one transaction for all rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.directory_import.report import ImportReport, Progress, WriteCounts
from router.directory_import.rows import NumberedRows, RowT

CHUNK = 500  # values per IN (...) and rows per write batch

T = TypeVar("T")
ItemT = TypeVar("ItemT")

Sessions = async_sessionmaker[AsyncSession]

# Writes rows in an open transaction, which write_rows commits (or, on a conflict, retries row by row).
Writer = Callable[[AsyncSession, NumberedRows[RowT], Progress | None], Awaitable[WriteCounts]]


def chunks(values: Sequence[ItemT], size: int = CHUNK) -> Iterable[Sequence[ItemT]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def write_batches(rows: Sequence[ItemT], size: int, progress: Progress | None) -> Iterator[Sequence[ItemT]]:
    """`rows` in batches; each one reported as written once the caller's loop body for it has finished."""
    done = 0
    for batch in chunks(rows, size):
        yield batch
        done += len(batch)
        if progress is not None:
            progress("write", done, len(rows))


async def select_in(session: AsyncSession, query: Select[T], column: Any, values: Sequence[Any]) -> list[T]:
    """The query's results with `column IN values`, a chunk of values per statement (bind parameter limits)."""
    found: list[T] = []
    for chunk in chunks(values):
        found.extend(await session.scalars(query.where(column.in_(chunk))))
    return found


def assign(target: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True if any did."""
    changed = False
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


async def write_rows(
    sessions: Sessions,
    rows: NumberedRows[RowT],
    writer: Writer[RowT],
    report: ImportReport,
    progress: Progress | None,
) -> None:
    """All rows in one transaction; if the database still refuses one, row by row to find it."""
    try:
        async with sessions() as session, session.begin():
            counts = await writer(session, rows, progress)
    except IntegrityError:
        counts = WriteCounts()
        for batch in write_batches(rows, 1, progress):
            try:
                async with sessions() as session, session.begin():
                    counts.add(await writer(session, list(batch), None))
            except IntegrityError as exc:
                report.error(batch[0][0], f"конфликт с данными в базе / database conflict: {exc.orig}")
    report.count(counts)
