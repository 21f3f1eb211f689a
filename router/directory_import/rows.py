"""From CSV lines to row models: the shared base model, validation with readable errors, and dropping rows
(a repeated key, a failed check) with the reason reported on their line."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from router.directory_import.csv_reading import CsvRow
from router.directory_import.report import ImportReport, Progress

REQUIRED_MESSAGE = "обязательное поле не заполнено / required value is missing"


class Row(BaseModel):
    """One line of a directory file; its fields are the file's columns."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    KEY_NAME: ClassVar[tuple[str, str]]  # key() in Russian and English, for the repeated-key error

    @abstractmethod
    def key(self) -> str:
        """What a re-import finds the stored row by."""

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return tuple(cls.model_fields)

    @classmethod
    def required_columns(cls) -> frozenset[str]:
        return frozenset(name for name, info in cls.model_fields.items() if info.is_required())


RowT = TypeVar("RowT", bound=Row)
NumberedRows = list[tuple[int, RowT]]  # (file line, row)


def describe_validation_error(exc: ValidationError) -> str:
    """One line, column by column, in Russian and English."""
    parts: list[str] = []
    for err in exc.errors(include_url=False):
        column = ".".join(str(p) for p in err["loc"] if not isinstance(p, int)) or "строка / row"
        parts.append(f"{column}: {_message(err)}")
    return "; ".join(parts)


def _message(err: Any) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind == "missing" or (kind == "string_type" and err.get("input") is None):
        return REQUIRED_MESSAGE
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        return f"слишком длинное значение (не более {limit} символов) / too long (at most {limit} characters)"
    if kind == "string_too_short":
        return REQUIRED_MESSAGE
    if kind == "extra_forbidden":
        return "неизвестный столбец / unknown column"
    return str(err["msg"])


def validate_rows(
    rows: list[CsvRow], model: type[RowT], report: ImportReport, progress: Progress | None = None
) -> NumberedRows[RowT]:
    good: NumberedRows[RowT] = []
    for done, row in enumerate(rows, 1):
        try:
            good.append((row.line, model.model_validate(row.values)))
        except ValidationError as exc:
            report.error(row.line, describe_validation_error(exc))
        if progress is not None and (done % 100 == 0 or done == len(rows)):
            progress("check", done, len(rows))
    return good


# Why a row must be dropped, or None to keep it; given the row's line and the row.
Check = Callable[[int, RowT], str | None]


def keep_rows(rows: NumberedRows[RowT], check: Check[RowT], report: ImportReport) -> NumberedRows[RowT]:
    """The rows `check` passes, in order; each other one is reported as an error on its line."""
    kept: NumberedRows[RowT] = []
    for line, row in rows:
        problem = check(line, row)
        if problem is None:
            kept.append((line, row))
        else:
            report.error(line, problem)
    return kept


def keep_rows_until_stable(
    rows: NumberedRows[RowT], check_for: Callable[[NumberedRows[RowT]], Check[RowT]], report: ImportReport
) -> NumberedRows[RowT]:
    """keep_rows with a check made from the rows still kept, repeated while it drops any: a dropped row may
    have been what another row relied on (a deputy, an identity it was giving up)."""
    active = list(rows)
    while True:
        kept = keep_rows(active, check_for(active), report)
        if len(kept) == len(active):
            return kept
        active = kept


def first_wins(
    rows: NumberedRows[RowT], key: Callable[[RowT], str], what: tuple[str, str], report: ImportReport
) -> NumberedRows[RowT]:
    """A key repeated in the file: the first row wins, the others are errors."""
    ru, en = what
    first: dict[str, int] = {}

    def repeated(line: int, row: RowT) -> str | None:
        value = key(row)
        if value in first:
            return (f"{ru} «{value}» уже встречался в строке {first[value]} / "
                    f"duplicate {en} {value!r}, first in line {first[value]}")
        first[value] = line
        return None

    return keep_rows(rows, repeated, report)
