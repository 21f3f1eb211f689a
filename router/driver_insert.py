"""Multi-row INSERTs of a routing batch handed to the driver's executemany as tuples (SQLite).

SQLAlchemy's executemany builds each row's parameters through its generic per-row machinery and a
Python bind processor per value (a DATETIME is formatted with a dict and %); at a dozen rows per
complaint that was a fifth of the routing transaction. Here each statement is compiled once per set
of keys, the values go out in the compiled order, and a DateTime is written in exactly the text
SQLAlchemy's SQLite DATETIME writes (so every ORM read parses it as before). Any other type keeps its
own bind processor; a column left to a constant Python-side default gets it here, as SQLAlchemy would.
PostgreSQL, and a statement with a default computed per row, go through session.execute unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.schema import ScalarElementColumnDefault

SQLITE_MAX_VARIABLES = 32_766  # bound parameters in one statement (SQLite >= 3.32)


@dataclass(frozen=True)
class _Plan:
    sql: str
    values_of: Callable[[dict[str, Any]], tuple[Any, ...]]  # a row's values in the statement's positional order
    processed: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, bind processor) of the values to convert

    def parameters(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        values_of, processed = self.values_of, self.processed
        parameters = [values_of(row) for row in rows]
        if processed:
            for position, row_values in enumerate(parameters):
                changed = list(row_values)
                for index, process in processed:
                    changed[index] = process(changed[index])
                parameters[position] = tuple(changed)
        return parameters


_plans: dict[tuple[Insert, tuple[str, ...]], _Plan | None] = {}
_returning: dict[Insert, Insert] = {}


def sqlite_datetime(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME text: the wall time as given (no offset), always with microseconds."""
    if value is None:
        return None
    return value.isoformat(" ", "microseconds")[:26]


def insert_rows(session: Session, statement: Insert, rows: Sequence[dict[str, Any]]) -> None:
    """`session.execute(statement, rows)`, every row with the same keys (the batch's rows are built so)."""
    connection, plan = _driver_plan(session, statement, rows)
    if plan is None:
        session.execute(statement, list(rows))
        return
    connection.exec_driver_sql(plan.sql, plan.parameters(rows))


def returning_ids(statement: Insert) -> Insert:
    """`statement` with RETURNING id in parameter order (SQLAlchemy's path), built once per statement."""
    if statement not in _returning:
        _returning[statement] = statement.returning(statement.table.c.id, sort_by_parameter_order=True)
    return _returning[statement]


def insert_returning_ids(session: Session, statement: Insert, rows: Sequence[dict[str, Any]], key: str) -> list[int]:
    """The ids of the rows inserted, in the rows' order. On SQLite the rows go as multi-row VALUES with RETURNING id
    and the unique column `key`, and each id is matched to its row by that key (the order SQLite returns them in is
    not promised); elsewhere SQLAlchemy's RETURNING in parameter order (returning_ids)."""
    connection, plan = _driver_plan(session, statement, rows)
    if plan is None:
        return list(session.scalars(returning_ids(statement), list(rows)).all())
    table = statement.table.description
    head, row_marks = plan.sql.split(" VALUES ", 1)
    returned = f"id, {connection.dialect.identifier_preparer.quote(key)}"
    ids: dict[Any, int] = {}
    per_statement = max(1, SQLITE_MAX_VARIABLES // max(1, row_marks.count("?")))
    for first in range(0, len(rows), per_statement):
        chunk = rows[first:first + per_statement]
        sql = f"{head} VALUES {', '.join([row_marks] * len(chunk))} RETURNING {returned}"
        flat = [value for values in plan.parameters(chunk) for value in values]
        ids.update((row_key, row_id) for row_id, row_key in connection.exec_driver_sql(sql, tuple(flat)))
    found = [ids.get(row[key]) for row in rows]
    if len(ids) != len(rows) or None in found:
        raise RuntimeError(f"{table}: {len(rows)} rows inserted, {len(ids)} ids matched by {key}")
    return [row_id for row_id in found if row_id is not None]


def _driver_plan(session: Session, statement: Insert,
                 rows: Sequence[dict[str, Any]]) -> tuple[Connection, _Plan | None]:
    """The session's connection, and the plan of `statement` for these rows' keys (None: not SQLite, or a
    statement the driver path cannot take)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return connection, None
    return connection, _plan(statement, tuple(rows[0]), connection.dialect)


def _plan(statement: Insert, keys: tuple[str, ...], dialect: Dialect) -> _Plan | None:
    cache_key = (statement, keys)
    if cache_key not in _plans:
        _plans[cache_key] = _compile(statement, keys, dialect)
    return _plans[cache_key]


def _compile(statement: Insert, keys: tuple[str, ...], dialect: Dialect) -> _Plan | None:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    order = tuple(compiled.positiontup or ())
    if not order or dialect.paramstyle != "qmark":
        return None  # not positional: SQLAlchemy's own path
    defaults: dict[str, Any] = {}
    for name in order:
        if name not in keys:  # a column left to its Python-side default: a constant one is filled in here
            default = statement.table.c[name].default if name in statement.table.c else None
            if not isinstance(default, ScalarElementColumnDefault):
                return None  # none, or computed per row (a callable): SQLAlchemy's own path
            defaults[name] = default.arg
    processed: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(order):
        kind = compiled.binds[name].type
        process = sqlite_datetime if isinstance(kind, DateTime) else kind.bind_processor(dialect)
        if process is not None:
            processed.append((index, process))
    return _Plan(str(compiled), _values_of(order, defaults), tuple(processed))


def _values_of(order: tuple[str, ...], defaults: dict[str, Any]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A row's values in the statement's order (one C-level itemgetter call when the row has them all)."""
    if not defaults:
        getter = itemgetter(*order)
        return getter if len(order) > 1 else (lambda row: (getter(row),))
    return lambda row: tuple(defaults[name] if name in defaults else row[name] for name in order)
