"""Dashboard, submission status, ticket card and quarantine pages."""

from __future__ import annotations

import base64
import re
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from router.models import CallbackTask, Delivery, TicketHistory
from tests.web.conftest import csrf_of, login, stream_count
from tests.web.factories import add_callback, add_client, add_staff, add_ticket
from workers.app.runtime import Database
from workers.bus.shunt import ShuntEnvelope, jetstream_of

# SQLite and a real PostgreSQL (datetimes, unique-key races behave differently).
pytestmark = pytest.mark.usefixtures("database_url")


async def test_dashboard_lists_mine_queue_and_callbacks(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "petrova", role="manager")
    client = await add_client(database, "Д-000123", "Иванов Иван Иванович", manager_login="petrova")
    mine = await add_ticket(database, "C-2025-000001", client_id=client.id, assignee="petrova")
    await add_ticket(database, "C-2025-000002", client_id=None, assignee=None)
    await add_ticket(database, "C-2025-000003", client_id=client.id, assignee="someone-else")
    await add_ticket(database, "C-2025-000004", client_id=client.id, assignee="petrova", status="closed")
    task = await add_callback(database, mine.id, outbox_id=17)
    await login(web, "petrova")

    home = await web.get("/")
    assert home.status_code == 200
    my_part = home.text.split('id="queue"')[0]
    queue_part = home.text.split('id="queue"')[1].split('id="callbacks"')[0]
    callbacks_part = home.text.split('id="callbacks"')[1]
    assert "C-2025-000001" in my_part and "C-2025-000004" not in home.text and "C-2025-000003" not in home.text
    assert "C-2025-000002" in queue_part and "C-2025-000001" not in queue_part
    assert "+79161234567" in callbacks_part and f"/callbacks/{task.id}/done" in callbacks_part

    done = await web.post(f"/callbacks/{task.id}/done", data={"csrf_token": csrf_of(home.text), "next": "/"})
    assert done.status_code == 303
    after = await web.get("/")
    assert "Обратный звонок отмечен выполненным" in after.text
    assert f"/callbacks/{task.id}/done" not in after.text
    again = await web.post(f"/callbacks/{task.id}/done", data={"csrf_token": csrf_of(after.text)})
    assert again.status_code == 303
    assert "уже отмечена" in (await web.get("/")).text
    async with database.sessions() as session:
        row = await session.get(CallbackTask, task.id)
        assert row is not None and row.done_by == "petrova" and row.done_at is not None
        actions = list(await session.scalars(select(TicketHistory.action).where(TicketHistory.ticket_id == mine.id)))
    assert actions.count("callback_done") == 1


async def test_submission_page_shows_the_ticket_number_once_routed(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "oper1")
    await login(web, "oper1")
    sid = str(uuid.uuid4())
    pending = await web.get(f"/submissions/{sid}")
    assert "Претензия принята и регистрируется" in pending.text and 'http-equiv="refresh"' in pending.text
    assert (await web.get(f"/submissions/{sid}.json")).json() == {
        "submission_id": sid, "status": "accepted", "ticket_number": None}

    await add_ticket(database, "C-2025-000042", client_id=None, assignee=None, channel="phone", submission_id=sid)
    done = await web.get(f"/submissions/{sid}")
    assert 'http-equiv="refresh"' not in done.text
    found = re.search(r'id="ticket-number" href="/tickets/(C-\d{4}-\d{6})">(C-\d{4}-\d{6})<', done.text)
    assert found and found.group(1) == found.group(2) == "C-2025-000042"
    assert "Претензия зарегистрирована" in done.text
    assert (await web.get(f"/submissions/{sid}.json")).json()["ticket_number"] == "C-2025-000042"
    assert (await web.get("/submissions/not-a-uuid")).status_code == 404


async def test_ticket_card(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "petrova", role="manager", name="Петрова Анна Сергеевна")
    client = await add_client(database, "Д-000123", "Иванов Иван Иванович", manager_login="petrova")
    ticket = await add_ticket(database, "C-2025-000001", client_id=client.id, assignee="petrova",
                              text="Третий день нет интернета.\nПрошу перерасчёт.")
    await add_ticket(database, "C-2025-000005", client_id=client.id, assignee="petrova", channel="vk",
                     created_at=datetime(2025, 10, 1, 9, tzinfo=UTC))
    async with database.sessions() as session, session.begin():
        session.add(Delivery(outbox_id=5, ticket_id=ticket.id, channel="email", address="ivan@example.ru",
                             status="sent", at=datetime(2025, 11, 5, 7, 31, tzinfo=UTC)))
    await add_callback(database, ticket.id, outbox_id=6)
    await login(web, "petrova")

    page = await web.get("/tickets/C-2025-000001")
    assert page.status_code == 200
    text = page.text
    for fact in ("Иванов Иван Иванович", "Петрова Анна Сергеевна", "Персональный менеджер", "Абонентский отдел",
                 "Зарегистрирована", "Третий день нет интернета.", "Прошу перерасчёт.", "ivan@example.ru",
                 "Отправлено", "Назначено: персональный менеджер"):
        assert fact in text, fact
    # The clocks in Moscow time: registered 07:30 UTC = 10:30 MSK, first response +8 h = 18:30 MSK.
    assert "05.11.2025 10:30" in text
    assert "05.11.2025 18:30" in text
    assert "04.01.2026 10:30" in text  # the 60-day legal limit
    other = text.split('id="other-tickets"')[1]
    assert "C-2025-000005" in other and "ВКонтакте" in other
    assert (await web.get("/tickets/C-2025-999999")).status_code == 404


async def _shunt_one(broker, payload: bytes) -> int:
    envelope = ShuntEnvelope(
        stage="normalize", reason="BadSubmission: phone submission has no complaint text",
        origin_subject="intake.raw.phone", origin_stream="INTAKE", origin_seq=7, attempts=3,
        shunted_at=datetime(2025, 11, 5, 8, 0, tzinfo=UTC), headers={"Nats-Msg-Id": "phone:abc"},
        data_b64=base64.b64encode(payload).decode(),
    )
    ack = await jetstream_of(broker).publish("shunt.normalize", envelope.model_dump_json().encode(), stream="SHUNT")
    return int(ack.seq)


async def test_quarantine_is_for_heads_and_admins(web: httpx.AsyncClient, database: Database, broker) -> None:
    await add_staff(database, "oper1")
    await login(web, "oper1")
    page = await web.get("/quarantine")
    assert page.status_code == 403 and "Карантин доступен" in page.text
    assert "/quarantine" not in (await web.get("/")).text  # not even in the menu


async def test_quarantine_lists_and_replays(web: httpx.AsyncClient, database: Database, broker) -> None:
    await add_staff(database, "head", role="subscriber_head")
    seq = await _shunt_one(broker, b'{"payload": {"text": ""}}')
    await login(web, "head")
    page = await web.get("/quarantine")
    assert page.status_code == 200
    for fact in ("Нормализация", "phone submission has no complaint text", "intake.raw.phone",
                 "05.11.2025 11:00", "&#34;payload&#34;", f"/quarantine/{seq}/replay"):
        assert fact in page.text, fact
    assert await stream_count(broker, "INTAKE") == 0

    replayed = await web.post(f"/quarantine/{seq}/replay", data={"csrf_token": csrf_of(page.text)})
    assert replayed.status_code == 303
    after = await web.get("/quarantine")
    assert "отправлено на повторную обработку" in after.text and "Карантин пуст" in after.text
    assert await stream_count(broker, "INTAKE") == 1  # back on its original subject
    assert await stream_count(broker, "SHUNT") == 0
    twice = await web.post(f"/quarantine/{seq}/replay", data={"csrf_token": csrf_of(after.text)})
    assert twice.status_code == 303
    assert "уже не в карантине" in (await web.get("/quarantine")).text


async def test_the_openapi_document_lists_every_rest_call(web: httpx.AsyncClient, database: Database) -> None:
    """The document handed to API client developers holds the REST API, and only it."""
    await add_staff(database, "petrova", role="manager")
    await login(web, "petrova")
    document = (await web.get("/api/openapi.json")).json()
    assert {"/api/v1/feedback", "/api/v1/submissions/{submission_id}", "/api/v1/tickets/{number}",
            "/api/v1/tickets"} <= set(document["paths"])
    assert all(path.startswith("/api/v1/") for path in document["paths"])
