"""The one import pipeline clients and staff share: read, validate, check against the database, write, report.

A bad row is reported with its line number and the reason and skipped; the good rows are written together in
one transaction. What differs between the two directories is an ImportSpec.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic

from sqlalchemy.ext.asyncio import AsyncSession

from router.directory_import.csv_reading import read_csv
from router.directory_import.report import ImportReport, Progress
from router.directory_import.rows import NumberedRows, RowT, first_wins, validate_rows
from router.directory_import.writing import Sessions, Writer, write_rows

# Drops (and reports) the rows the database contradicts; given an open session, returns the rows to write.
Screen = Callable[[AsyncSession, NumberedRows[RowT], ImportReport], Awaitable[NumberedRows[RowT]]]
# Warns about rows that were written but will not work as the file may expect.
AfterWrite = Callable[[AsyncSession, NumberedRows[RowT], ImportReport], Awaitable[None]]


@dataclass(frozen=True)
class ImportSpec(Generic[RowT]):
    kind: str  # ImportReport.kind
    model: type[RowT]  # its fields are the file's columns; a key() repeated in the file: the first row wins
    screen: Screen[RowT]
    write: Writer[RowT]
    after_write: AfterWrite[RowT]


async def run_import(
    spec: ImportSpec[RowT], sessions: Sessions, source: Path | bytes, progress: Progress | None
) -> ImportReport:
    report = ImportReport(spec.kind)
    table = read_csv(source, spec.model.columns(), spec.model.required_columns(), report)
    if table is None:
        return report.finish()
    rows = validate_rows(table, spec.model, report, progress)
    rows = first_wins(rows, spec.model.key, spec.model.KEY_NAME, report)
    async with sessions() as session:
        rows = await spec.screen(session, rows, report)
    if rows:
        await write_rows(sessions, rows, spec.write, report, progress)
        async with sessions() as session:
            await spec.after_write(session, rows, report)
    elif progress is not None:
        progress("write", 0, 0)
    return report.finish()
