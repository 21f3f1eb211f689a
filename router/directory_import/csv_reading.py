"""Reading a directory CSV: decoding, the delimiter, the header, and data lines as dicts with their line numbers.

UTF-8 (a BOM is fine; an Excel export in Windows-1251 is accepted too), `,` or `;` sniffed from the header
line, multi-valued cells separated by `|`. A file that is no text (a workbook, an archive, random bytes) is one
error on line 1; a record the CSV format cannot read, or one with a NUL byte, is an error on its line and only
that record is skipped.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.directory_import.report import ImportReport

MULTI_SEPARATOR = "|"
EMPTY_FILE = "файл пуст / the file is empty"
NOT_TEXT = "файл не является текстовым CSV / not a CSV text file"
SAVE_AS_CSV = "; сохраните таблицу как «CSV UTF-8» / save the table as CSV UTF-8"
_SNIFF_BYTES = 64 * 1024
_BINARY_CONTROLS = frozenset(chr(c) for c in range(32) if chr(c) not in "\t\n\r") | {"\x7f"}
_BINARY_MAGIC = (
    (b"PK\x03\x04", "архив ZIP или книга Excel .xlsx / a ZIP archive or an .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0", "книга Excel .xls / an .xls workbook"),
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"\x1f\x8b", "gzip"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


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
    """The data rows, or None when the file itself is unusable (reported as line 1).

    A record the CSV format cannot read (an unterminated quote, text after a closing quote) is reported with
    the line it starts on and skipped; reading goes on with the next line, so the rows around it are kept.
    """
    text = _decoded_text(source, report)
    if text is None:
        return None
    return _table(_NumberedRecords(text), columns, required, report)


def _decoded_text(source: Path | bytes, report: ImportReport) -> str | None:
    data = source.read_bytes() if isinstance(source, Path) else source
    problem = binary_problem(data)
    if problem is not None:
        report.error(1, problem)
        return None
    text, encoding = decode_csv(data)
    if encoding != "utf-8":
        report.warn(1, "файл прочитан в кодировке Windows-1251 / file decoded as Windows-1251")
    if not text.strip():
        report.error(1, EMPTY_FILE)
        return None
    return text


def binary_problem(data: bytes) -> str | None:
    """Why `data` is no CSV text (a spreadsheet, an archive, an image, random bytes), or None when it may be."""
    head = data[:_SNIFF_BYTES]
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            return f"{NOT_TEXT} ({what}){SAVE_AS_CSV}"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError:
            return f"{NOT_TEXT}: ни UTF-8, ни Windows-1251 / neither UTF-8 nor Windows-1251{SAVE_AS_CSV}"
    sample = text[:_SNIFF_BYTES]
    controls = sum(1 for char in sample if char in _BINARY_CONTROLS)
    if sample and controls > max(2, len(sample) // 100):
        return f"{NOT_TEXT}: {controls} управляющих байтов / control bytes{SAVE_AS_CSV}"
    return None


@dataclass
class _Malformed:
    """A record the CSV format cannot read: the reason."""

    reason: str


class _NumberedRecords:
    """The CSV records of `text` with the line each starts on (a quoted cell may span lines).

    A malformed record comes as _Malformed (with the line it starts on), and reading resumes with the line
    after that one.
    """

    def __init__(self, text: str) -> None:
        self._lines = io.StringIO(text, newline="").readlines()
        self._delimiter = sniff_delimiter(text)

    def __iter__(self) -> Iterator[tuple[int, list[str] | _Malformed]]:
        position = 0  # index of the first line not read yet
        while position < len(self._lines):
            reader = csv.reader(self._lines_from(position), delimiter=self._delimiter, strict=True)
            start = position
            try:
                for record in reader:
                    yield start + 1, record
                    start = position + reader.line_num
                return
            except csv.Error as exc:
                yield start + 1, _Malformed(str(exc))
                position = start + 1

    def _lines_from(self, position: int) -> Iterator[str]:
        """The lines from `position` on, without stepping over the ones before it (islice would: a file of many
        malformed records, each resuming the reading, took time in the square of its length)."""
        lines = self._lines
        return (lines[index] for index in range(position, len(lines)))


def _table(
    records: Iterable[tuple[int, list[str] | _Malformed]], columns: Sequence[str], required: Iterable[str],
    report: ImportReport,
) -> list[CsvRow] | None:
    """The header is the first non-blank record; the data rows follow, blank ones skipped."""
    header: list[str] | None = None
    rows: list[CsvRow] = []
    malformed: dict[str, str] = {}  # one message per reason: a broken file may repeat it a million times
    for start, record in records:
        if isinstance(record, _Malformed):
            if record.reason not in malformed:
                malformed[record.reason] = f"ошибка формата CSV / malformed CSV: {record.reason}; {_QUOTES_HINT}"
            report.error(start, malformed[record.reason])
            if header is None:
                return None
            report.total += 1
            continue
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


_QUOTES_HINT = (
    "строка пропущена: проверьте кавычки (кавычка внутри значения удваивается: \"\") / row skipped: check the "
    "quotes (a quote inside a quoted value is doubled)"
)


def _header_name(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip().strip("\ufeff").lower())


def _check_header(
    header: list[str], columns: Sequence[str], required: Iterable[str], line: int, report: ImportReport
) -> bool:
    problems: list[str] = []
    # Counted once (header.count per name took time in the square of the columns: 30,000 columns, 6 s).
    duplicates = sorted(name for name, times in Counter(header).items() if times > 1 and name)
    if duplicates:
        problems.append(f"столбцы повторяются / duplicate columns: {_some(duplicates)}")
    known = set(columns)
    unknown = [name or "(пусто)" for name in header if name not in known]
    if unknown:
        problems.append(
            f"неизвестные столбцы / unknown columns: {_some(unknown)}; допустимые / known: {', '.join(columns)}"
        )
    missing = [name for name in columns if name in set(required) and name not in header]
    if missing:
        problems.append(f"нет обязательных столбцов / missing required columns: {', '.join(missing)}")
    for problem in problems:
        report.error(line, problem)
    return not problems


def _some(names: Sequence[str], shown: int = 20) -> str:
    """The first `shown` names, and how many more there are (a file may have thousands)."""
    listed = ", ".join(names[:shown])
    rest = len(names) - shown
    return f"{listed} … и ещё {rest} / and {rest} more" if rest > 0 else listed


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
    if any("\x00" in cell for cell in record):
        report.error(line, "в строке нулевой байт (NUL): строка пропущена / the row contains a NUL byte: skipped")
        return None
    values: dict[str, str | None] = {}
    for name, cell in zip(header, record, strict=False):
        cleaned = cell.replace("\r\n", "\n").replace("\r", "\n").strip()
        values[name] = cleaned or None
    return CsvRow(line, values)
