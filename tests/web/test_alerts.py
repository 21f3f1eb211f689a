"""Staff alerts (e.g. a reply to the client bounced): on the owner's dashboard and the ticket card."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from router.models import SentMessage, StaffAlert
from tests.web.conftest import csrf_of, login
from tests.web.factories import add_client, add_staff, add_ticket
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
BOUNCED = "Ответ клиенту не доставлен: 550 5.1.1 mailbox unavailable"


async def _alert(database: Database, login: str, ticket_id: int) -> int:
    async with database.sessions() as session:
        alert = StaffAlert(login=login, ticket_id=ticket_id, created_at=datetime.now(UTC), kind="reply_bounced",
                           text=BOUNCED)
        session.add(alert)
        session.add(SentMessage(
            message_id="<outbox-7.C-2026-000010@claims.example.ru>", ticket_id=ticket_id, outbox_id=7,
            channel="email", kind="acknowledgement", address="client@example.ru",
            subject="Re: [C-2026-000010] Нет интернета", sent_at=datetime.now(UTC), status="bounced",
            detail="550 5.1.1",
        ))
        await session.commit()
        return alert.id


async def test_owner_sees_alert_and_marks_it_read(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "petrova", role="manager")
    client = await add_client(database, "Д-000321", "Сидорова Анна", manager_login="petrova")
    ticket = await add_ticket(database, "C-2026-000010", client_id=client.id, assignee="petrova")
    alert_id = await _alert(database, "petrova", ticket.id)
    await login(web, "petrova")

    home = await web.get("/")
    assert 'id="alerts"' in home.text and BOUNCED in home.text and "C-2026-000010" in home.text
    card = await web.get("/tickets/C-2026-000010")
    assert BOUNCED in card.text
    assert "&lt;outbox-7.C-2026-000010@claims.example.ru&gt;" in card.text
    assert "Возврат (не доставлено)" in card.text

    read = await web.post(f"/alerts/{alert_id}/read", data={"csrf_token": csrf_of(home.text), "next": "/"})
    assert read.status_code == 303
    assert 'id="alerts"' not in (await web.get("/")).text
    async with database.sessions() as session:
        assert (await session.scalar(select(StaffAlert.read_at).where(StaffAlert.id == alert_id))) is not None


async def test_someone_else_cannot_mark_an_alert_read(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "petrova", role="manager")
    await add_staff(database, "ivanov", role="manager")
    ticket = await add_ticket(database, "C-2026-000010", client_id=None, assignee="petrova")
    alert_id = await _alert(database, "petrova", ticket.id)
    await login(web, "ivanov")

    home = await web.get("/")
    assert BOUNCED not in home.text
    await web.post(f"/alerts/{alert_id}/read", data={"csrf_token": csrf_of(home.text), "next": "/"})
    async with database.sessions() as session:
        assert (await session.scalar(select(StaffAlert.read_at).where(StaffAlert.id == alert_id))) is None
