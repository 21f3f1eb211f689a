"""A ticket a client has written to hundreds of times: its card shows the latest rows of each list, says so,
and shows every row on request (workers/web/latest_rows.py, workers/web/pages/ticket_rows.py)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
import pytest

from router.models import Outbox, Submission, TicketHistory
from tests.web.conftest import login
from tests.web.factories import REGISTERED_AT, add_callback, add_client, add_staff, add_ticket
from workers.app.runtime import Database
from workers.web import latest_rows
from workers.web.latest_rows import SHOWN_ROWS
from workers.web.pages import ticket_rows

# SQLite and a real PostgreSQL (ordering and counting behave the same on both).
pytestmark = pytest.mark.usefixtures("database_url")
FOLLOW_UPS = SHOWN_ROWS + 250


async def flooded_ticket(database: Database) -> int:
    """A manager's chat ticket: early on a note, a stage change and a callback, then FOLLOW_UPS messages from the
    client, each answered."""
    await add_staff(database, "petrova", role="manager")
    client = await add_client(database, "Д-000123", "Иванов Иван Иванович", manager_login="petrova")
    ticket = await add_ticket(database, "C-2025-000001", client_id=client.id, assignee="petrova", channel="telegram")
    async with database.sessions() as session, session.begin():
        session.add(TicketHistory(ticket_id=ticket.id, at=REGISTERED_AT + timedelta(seconds=1), actor="petrova",
                                  action="comment", from_stage="registered", to_stage="registered",
                                  note="Ранняя заметка менеджера"))
        session.add(TicketHistory(ticket_id=ticket.id, at=REGISTERED_AT + timedelta(seconds=2), actor="petrova",
                                  action="take", from_stage="registered", to_stage="primary_review", note=""))
        for i in range(FOLLOW_UPS):
            at = REGISTERED_AT + timedelta(minutes=i + 1)
            submission_id = str(uuid.uuid4())
            session.add(Submission(id=submission_id, channel="telegram", native_id=f"tg:{i}", received_at=at,
                                   routed_at=at, ticket_id=ticket.id, client_id=client.id,
                                   event={"text": f"Сообщение клиента №{i}."}))
            session.add(TicketHistory(ticket_id=ticket.id, at=at, actor="channel:telegram", action="follow_up",
                                      from_stage="registered", to_stage="registered", note=f"Запись №{i}.",
                                      submission_id=submission_id))
            session.add(Outbox(created_at=at + timedelta(seconds=1), subject="outbound.telegram", attempts=0,
                               payload={"channel": "telegram", "text": f"Ответ №{i}."}, ticket_id=ticket.id))
    await add_callback(database, ticket.id, outbox_id=10**6)
    return ticket.id


def section(page: str, name: str) -> str:
    return page.split(f'id="{name}"')[1].split("</section>")[0]


async def test_a_flooded_ticket_shows_the_latest_rows_and_says_so(web: httpx.AsyncClient, database: Database) -> None:
    await flooded_ticket(database)
    await login(web, "petrova")
    page = (await web.get("/tickets/C-2025-000001")).text

    conversation = section(page, "conversation")
    assert len(re.findall(r'<li class="(?:ours|theirs)">', conversation)) == SHOWN_ROWS
    last = FOLLOW_UPS - 1
    assert f"Сообщение клиента №{last}." in conversation and f"Ответ №{last}." in conversation
    assert f"Сообщение клиента №{last - SHOWN_ROWS // 2 + 1}." in conversation
    assert f"Ответ №{last - SHOWN_ROWS // 2}." not in conversation and "Сообщение клиента №0." not in conversation
    assert 'href="/tickets/C-2025-000001?all=1#conversation">Показать все' in conversation

    history = section(page, "history")
    assert history.count("<tr>") - 1 == SHOWN_ROWS  # the header row, then the latest entries
    assert f"Показаны последние {SHOWN_ROWS} из {FOLLOW_UPS + 3}." in history  # registered, note, take
    assert f"Запись №{last}." in history and "Запись №0." not in history
    assert "Ранняя заметка менеджера" in section(page, "notes")  # every note, however old
    assert "/done" in section(page, "replies")  # the early callback still waits for the operator

    every = (await web.get("/tickets/C-2025-000001?all=1")).text
    assert len(re.findall(r'<li class="(?:ours|theirs)">', section(every, "conversation"))) == 2 * FOLLOW_UPS
    assert "Сообщение клиента №0." in every and "Запись №0." in every and "Показаны последние" not in every


async def test_the_timeline_reads_the_whole_history(database: Database) -> None:
    ticket_id = await flooded_ticket(database)
    async with database.sessions() as session:
        shown = await latest_rows.history(session, ticket_id, every=False)
        assert shown.cut and shown.total == FOLLOW_UPS + 3 and len(shown.rows) == SHOWN_ROWS
        assert "primary_review" not in {h.to_stage for h in shown.rows}
        assert "primary_review" in await ticket_rows.stages_seen(session, ticket_id)


async def test_a_short_ticket_shows_everything_without_a_notice(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "petrova", role="manager")
    client = await add_client(database, "Д-000123", "Иванов Иван Иванович", manager_login="petrova")
    await add_ticket(database, "C-2025-000001", client_id=client.id, assignee="petrova")
    await login(web, "petrova")
    page = (await web.get("/tickets/C-2025-000001")).text
    assert "Третий день нет интернета" in section(page, "conversation")
    assert "Показаны последние" not in page and "?all=1" not in page
