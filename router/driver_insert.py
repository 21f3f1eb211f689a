"""Multi-row INSERTs of a routing batch handed to the driver's executemany as tuples (SQLite).

SQLAlchemy's executemany builds each row's parameters through its generic per-row machinery and a
Python bind processor per value (a DATETIME is formatted with a dict and %); at a dozen rows per
complaint that was a fifth of the routing transaction. Here each statement is compiled once per set
of keys, the values go out in the compiled order, and a DateTime is written in exactly the text
SQLAlchemy's SQLite DATETIME writes (so every ORM read parses it as before). Any other type keeps its
own bind processor. PostgreSQL, and a statement whose columns would need a Python-side default,
go through session.execute unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert


@dataclass(frozen=True)
class _Plan:
    sql: str
    values_of: Callable[[dict[str, Any]], tuple[Any, ...]]  # a row's values in the statement's positional order
    processed: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, bind processor) of the values to convert


_plans: dict[tuple[Insert, tuple[str, ...]], _Plan | None] = {}


def sqlite_datetime(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME text: the wall time as given (no offset), always with microseconds."""
    if value is None:
        return None
    return value.isoformat(" ", "microseconds")[:26]


def insert_rows(session: Session, statement: Insert, rows: Sequence[dict[str, Any]]) -> None:
    """`session.execute(statement, rows)`, every row with the same keys (the batch's rows are built so)."""
    connection = session.connection()
    plan = _plan(statement, tuple(rows[0]), connection.dialect) if connection.dialect.name == "sqlite" else None
    if plan is None:
        session.execute(statement, list(rows))
        return
    values_of, processed = plan.values_of, plan.processed
    parameters: list[Any] = [values_of(row) for row in rows]
    if processed:
        for position, row_values in enumerate(parameters):
            changed = list(row_values)
            for index, process in processed:
                changed[index] = process(changed[index])
            parameters[position] = tuple(changed)
    connection.exec_driver_sql(plan.sql, parameters)


def _plan(statement: Insert, keys: tuple[str, ...], dialect: Dialect) -> _Plan | None:
    cache_key = (statement, keys)
    if cache_key not in _plans:
        _plans[cache_key] = _compile(statement, keys, dialect)
    return _plans[cache_key]


def _compile(statement: Insert, keys: tuple[str, ...], dialect: Dialect) -> _Plan | None:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    order = tuple(compiled.positiontup or ())
    if not order or not set(order) <= set(keys) or dialect.paramstyle != "qmark":
        return None  # a Python-side default to compute, or not positional: SQLAlchemy's own path
    processed: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(order):
        kind = compiled.binds[name].type
        process = sqlite_datetime if isinstance(kind, DateTime) else kind.bind_processor(dialect)
        if process is not None:
            processed.append((index, process))
    getter = itemgetter(*order)
    values_of = getter if len(order) > 1 else (lambda row: (getter(row),))
    return _Plan(str(compiled), values_of, tuple(processed))
