"""insert_rows(): a routing batch's INSERTs through the driver's executemany on SQLite store exactly what
SQLAlchemy's own executemany stores, and the routing batch really takes that path."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, event, func, insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities
from router.calendar import BusinessCalendar
from router.driver_insert import insert_returning_ids, insert_rows, returning_ids, sqlite_datetime
from router.jsontext import json_text_param
from router.models import Base, Outbox, ScanReview, SlaTimer, Submission, Ticket, cast_table
from router.route_rows import (
    _INSERT_HISTORY,
    _INSERT_OUTBOX,
    _INSERT_SUBMISSION,
    _INSERT_TICKETS,
    _INSERT_TIMER,
)
from router.routing import Outcome, route_events
from tests.support.directory import IVANOV, seed_directory
from workers.app.runtime import Database

MOSCOW = ZoneInfo("Europe/Moscow")
MOMENTS = [
    datetime(2026, 12, 4, 16, 18, 4, 123456, tzinfo=UTC),
    datetime(2026, 12, 4, 16, 18, 4, tzinfo=UTC),  # no microseconds: SQLAlchemy still writes .000000
    datetime(2027, 3, 8, 9, 0, 0, 1, tzinfo=MOSCOW),  # another zone: the wall time as given, like SQLAlchemy
    datetime(2026, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-5))),
    datetime(2026, 6, 1, 12, 30),  # naive
]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'insert.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def stored_text(session: Session, table: str, column: str) -> list[Any]:
    """What SQLite holds, as text, in insertion order (not what a type reads back)."""
    return list(session.scalars(text(f"SELECT CAST({column} AS TEXT) FROM {table} ORDER BY id")))


def test_a_datetime_is_written_as_sqlalchemy_writes_it() -> None:
    process = sqlite.DATETIME().bind_processor(sqlite.dialect())
    assert process is not None
    for moment in MOMENTS:
        assert sqlite_datetime(moment) == process(moment)
    assert sqlite_datetime(None) is None


def ticket_row(number: str) -> dict[str, Any]:
    now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    return {"number": number, "client_id": None, "assignee_login": None, "queue": "subscriber", "stage": "registered",
            "status": "open", "channel": "web", "subject": "", "text": "т", "category": "other", "created_at": now,
            "first_response_due": now, "resolution_due": now, "legal_due": now, "parent_ticket_id": None,
            "conversation": None, "handler_login": None}


def make_ticket(session: Session) -> int:
    return insert_returning_ids(session, _INSERT_TICKETS, [ticket_row("2026-000001")],
                                key="number")[0]


def rows_of_each_kind(ticket_id: int) -> dict[Any, list[dict[str, Any]]]:
    at = MOMENTS[0]
    return {
        _INSERT_TIMER: [{"ticket_id": ticket_id, "clock": clock, "level": level, "fire_at": moment,
                         "fired_at": None, "outcome": None}
                        for clock, level, moment in [("first_response", "warning", MOMENTS[0]),
                                                     ("first_response", "breach", MOMENTS[1]),
                                                     ("legal", "warning", MOMENTS[2]), ("legal", "breach", None)]],
        _INSERT_OUTBOX: [{"subject": "outbound.web", "payload": '{"text": "Здравствуйте", "n": 1}', "created_at": at,
                          "attempts": 0, "ticket_id": ticket_id}],
        _INSERT_SUBMISSION: [{"id": f"00000000-0000-4000-8000-00000000000{i}", "channel": "web",
                              "native_id": f"n{i}", "content_id": None, "received_at": MOMENTS[i],
                              "routed_at": at, "client_id": None, "event": '{"text": "жалоба"}',
                              "ticket_id": ticket_id if i else None} for i in range(3)],
        _INSERT_HISTORY: [{"at": at, "actor": "channel:web", "action": "registered", "from_stage": None,
                           "to_stage": "registered", "note": "Назначено", "submission_id": None,
                           "ticket_id": ticket_id}],
    }


COLUMNS = {"tickets": "number, queue, created_at, legal_due, waiting_for_client, director_pending, review_round",
           "sla_timers": "clock, level, fire_at, fired_at, outcome",
           "outbox": "subject, payload, created_at, attempts, sent_at",
           "submissions": "id, native_id, received_at, routed_at, event, ticket_id",
           "ticket_history": "at, actor, action, from_stage, to_stage, note"}


def test_the_rows_stored_are_the_ones_sqlalchemy_stores(tmp_path: Path) -> None:
    stored: list[dict[str, list[Any]]] = []
    def sqlalchemy_ticket(session: Session) -> int:
        return int(session.scalars(returning_ids(_INSERT_TICKETS), [ticket_row("2026-000001")]).one())

    for path, write, new_ticket in (
        ("driver", insert_rows, make_ticket),
        ("sqlalchemy", lambda s, st, rows: s.execute(st, rows), sqlalchemy_ticket),
    ):
        engine = create_engine(f"sqlite:///{tmp_path / path}.db")
        Base.metadata.create_all(engine)
        with Session(engine) as session, session.begin():
            ticket_id = new_ticket(session)
            for statement, rows in rows_of_each_kind(ticket_id).items():
                write(session, statement, rows)
        with Session(engine) as session:
            stored.append({table: [tuple(row) for row in session.execute(text(
                f"SELECT {', '.join(f'CAST({c} AS TEXT)' for c in columns.split(', '))} FROM {table} ORDER BY 1, 2"))]
                for table, columns in COLUMNS.items()})
            # And the ORM reads them back as it always did: aware UTC moments, JSON as objects.
            timers = session.scalars(select(SlaTimer).order_by(SlaTimer.id)).all()
            assert [t.fire_at for t in timers][:2] == [MOMENTS[0].replace(tzinfo=None), MOMENTS[1].replace(tzinfo=None)]
            assert session.scalars(select(Outbox.payload)).one() == {"text": "Здравствуйте", "n": 1}
            assert session.scalars(select(Submission.event).limit(1)).one() == {"text": "жалоба"}
        engine.dispose()
    driver, plain = stored
    assert driver == plain
    assert len(driver["sla_timers"]) == 4 and len(driver["submissions"]) == 3


def test_a_column_left_to_its_python_default_gets_it(engine: Engine) -> None:
    statement = insert(cast_table(Outbox)).values(payload=json_text_param("payload"))
    with Session(engine) as session, session.begin():
        ticket_id = make_ticket(session)  # tickets leave waiting_for_client, director_pending, review_round out
        # No "attempts": its constant default (0) is filled in, as SQLAlchemy fills it.
        insert_rows(session, statement, [{"subject": "tickets.events.created", "payload": "{}",
                                          "created_at": MOMENTS[0], "ticket_id": ticket_id}])
    with Session(engine) as session:
        assert stored_text(session, "outbox", "attempts") == ["0"]
        assert stored_text(session, "tickets", "waiting_for_client || director_pending || review_round") == ["000"]


def test_a_default_computed_per_row_is_left_to_sqlalchemy(engine: Engine) -> None:
    statement = insert(cast_table(ScanReview))
    with Session(engine) as session, session.begin():
        ticket_id = make_ticket(session)
        # reasons, fields, candidates, page_keys: JSON columns whose default is a callable (a new list or dict).
        insert_rows(session, statement, [{"ticket_id": ticket_id, "created_at": MOMENTS[0], "mean_confidence": 0.5,
                                          "blob_key": "scan/1"}])
    with Session(engine) as session:
        review = session.scalars(select(ScanReview)).one()
        assert (review.status, review.reasons, review.fields, review.page_keys) == ("pending", [], {}, [])


def test_ticket_ids_come_back_in_the_rows_order(engine: Engine) -> None:
    """insert_returning_ids on SQLite (multi-row VALUES, ids matched by number) gives what SQLAlchemy's
    RETURNING in parameter order gives, across more rows than one statement's parameters allow."""
    rows = [ticket_row(f"2026-{i:06d}") for i in range(2_500)]  # 2,500 x 16 parameters: two statements
    rows.reverse()  # numbers not in insertion order: the match is by number, not by position
    with Session(engine) as session, session.begin():
        ids = insert_returning_ids(session, _INSERT_TICKETS, rows, key="number")
        numbers = {ticket_id: number for ticket_id, number in session.execute(select(Ticket.id, Ticket.number))}
    assert len(set(ids)) == len(rows)
    assert [numbers[ticket_id] for ticket_id in ids] == [row["number"] for row in rows]


async def test_the_routing_batch_writes_through_the_driver(database: Database) -> None:
    """Every hot INSERT of a routed batch is executed without a compiled SQLAlchemy statement (the driver
    path); fails if route_rows goes back to session.execute for them."""
    async with database.sessions() as session, session.begin():
        await seed_directory(session)
    compiled: dict[str, bool] = {}

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.startswith("INSERT INTO"):
            compiled[statement.split()[2]] = context.compiled is not None

    assert database.sync_engine is not None  # SQLite: the routing transaction runs on the sync engine
    event.listen(database.sync_engine, "before_cursor_execute", record)
    complaint = ComplaintEvent(event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=Channel.WEB,
                               native_id="d1", received_at=MOMENTS[0], identities=Identities(emails=[IVANOV.email]),
                               text="Жалоба")
    results = await database.run_transaction(
        lambda s: route_events(s, [complaint], BusinessCalendar(), MOMENTS[0] + timedelta(seconds=1)))
    assert results[0].outcome == Outcome.CREATED
    # The year's first ticket counter keeps its own statement.
    assert compiled == {"tickets": False, "ticket_counters": True, "ticket_history": False, "outbox": False,
                        "submissions": False, "sla_timers": False}
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SlaTimer)) == 6
