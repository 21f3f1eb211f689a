"""Reading a directory CSV: decoding, the delimiter, the header, and data lines as dicts with their line numbers.

UTF-8 (a BOM is fine; an Excel export in Windows-1251 is accepted too), `,` or `;` sniffed from the header
line, multi-valued cells separated by `|`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.directory_import.report import ImportReport

MULTI_SEPARATOR = "|"
EMPTY_FILE = "файл пуст / the file is empty"


@dataclass
class CsvRow:
    line: int  # the file line the record starts on
    values: dict[str, str | None]


def decode_csv(data: bytes) -> tuple[str, str]:
    """Text and encoding: UTF-8 (with or without BOM), else Windows-1251 (Excel's Russian default)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1251"), "cp1251"


def sniff_delimiter(text: str) -> str:
    """`;` (Russian Excel), `,` or tab, whichever the header line uses most; `,` on a tie."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def split_multi(value: Any) -> list[str]:
    """The distinct non-empty values of a multi-valued cell ("a | b | a" -> ["a", "b"]), in file order."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        items = str(value).split(MULTI_SEPARATOR)
    seen: list[str] = []
    for item in (i.strip() for i in items):
        if item and item not in seen:
            seen.append(item)
    return seen


def read_csv(
    source: Path | bytes,
    columns: Sequence[str],
    required: Iterable[str],
    report: ImportReport,
) -> list[CsvRow] | None:
    """The data rows, or None when the file itself is unusable (reported as line 1)."""
    text = _decoded_text(source, report)
    if text is None:
        return None
    records = _NumberedRecords(text)
    try:
        return _table(records, columns, required, report)
    except csv.Error as exc:
        report.error(records.next_line, f"ошибка формата CSV / malformed CSV: {exc}")
        return None


def _decoded_text(source: Path | bytes, report: ImportReport) -> str | None:
    data = source.read_bytes() if isinstance(source, Path) else source
    text, encoding = decode_csv(data)
    if encoding != "utf-8":
        report.warn(1, "файл прочитан в кодировке Windows-1251 / file decoded as Windows-1251")
    if not text.strip():
        report.error(1, EMPTY_FILE)
        return None
    return text


class _NumberedRecords:
    """The CSV records of `text` with the line each starts on (a quoted cell may span lines).

    `next_line` is the line after the last record read, which is where a malformed record starts.
    """

    def __init__(self, text: str) -> None:
        self._reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
        self.next_line = 1

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        for record in self._reader:
            start, self.next_line = self.next_line, self._reader.line_num + 1
            yield start, record


def _table(
    records: Iterable[tuple[int, list[str]]], columns: Sequence[str], required: Iterable[str], report: ImportReport
) -> list[CsvRow] | None:
    """The header is the first non-blank record; the data rows follow, blank ones skipped."""
    header: list[str] | None = None
    rows: list[CsvRow] = []
    for start, record in records:
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            header = [_header_name(cell) for cell in record]
            if not _check_header(header, columns, required, start, report):
                return None
            continue
        report.total += 1
        row = _data_row(header, record, start, report)
        if row is not None:
            rows.append(row)
    if header is None:
        report.error(1, EMPTY_FILE)
        return None
    return rows


def _header_name(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip().strip("\ufeff").lower())


def _check_header(
    header: list[str], columns: Sequence[str], required: Iterable[str], line: int, report: ImportReport
) -> bool:
    problems: list[str] = []
    duplicates = sorted({name for name in header if header.count(name) > 1 and name})
    if duplicates:
        problems.append(f"столбцы повторяются / duplicate columns: {', '.join(duplicates)}")
    unknown = [name for name in header if name not in columns]
    if unknown:
        problems.append(
            f"неизвестные столбцы / unknown columns: {', '.join(n or '(пусто)' for n in unknown)}; "
            f"допустимые / known: {', '.join(columns)}"
        )
    missing = [name for name in columns if name in set(required) and name not in header]
    if missing:
        problems.append(f"нет обязательных столбцов / missing required columns: {', '.join(missing)}")
    for problem in problems:
        report.error(line, problem)
    return not problems


def _data_row(header: list[str], record: list[str], line: int, report: ImportReport) -> CsvRow | None:
    """The record as column -> value (None for an empty cell), or None when it has more cells than the header."""
    if len(record) > len(header):
        report.error(
            line,
            f"значений в строке ({len(record)}) больше, чем столбцов ({len(header)}): возможно, "
            "разделитель внутри значения без кавычек / more fields than header columns: "
            "quote values that contain the delimiter",
        )
        return None
    values: dict[str, str | None] = {}
    for name, cell in zip(header, record, strict=False):
        cleaned = cell.replace("\r\n", "\n").replace("\r", "\n").strip()
        values[name] = cleaned or None
    return CsvRow(line, values)
