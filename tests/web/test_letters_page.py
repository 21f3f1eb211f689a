"""The post room's page (/letters): an operator sees the letter waiting, downloads its PDF and marks it sent
(once: a ticket history row); a manager who may not see the ticket gets no PDF."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from router.contracts import OutboundKind, OutboundMessage
from router.models import OutgoingLetter, TicketHistory
from tests.web.conftest import csrf_of, login
from tests.web.factories import add_client, add_staff, add_ticket
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.channels.senders.selection import Senders
from workers.stages.deliver import plan_batch
from workers.web.pages import letters

pytestmark = pytest.mark.usefixtures("database_url")
NUMBER = "C-2026-000042"
ANSWER = ("Здравствуйте, Анна Петровна!\n\nМы рассмотрели вашу претензию.\n\n"
          "С уважением,\nСотрудник m.petrova\nПерсональный менеджер")


@pytest.fixture
async def post_room(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A staff browser on the app with the letters page (mounted here until the app mounts it)."""
    if not any(getattr(route, "path", None) == "/letters" for route in app.routes):
        app.include_router(letters.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


async def queued_letter(database: Database, settings: Settings) -> int:
    await add_staff(database, "op.anna", role="operator")
    await add_staff(database, "m.petrova", role="manager")
    await add_staff(database, "m.other", role="manager")
    client = await add_client(database, "12-000002", "Сидорова Анна Петровна", manager_login="m.petrova")
    await add_ticket(database, NUMBER, client_id=client.id, assignee="m.petrova", channel="post")
    message = OutboundMessage(outbox_id=55, kind=OutboundKind.ANSWER, channel="post", ticket_number=NUMBER,
                              client_id=client.id, in_reply_to=None, text=ANSWER)
    senders = Senders.from_settings(settings)
    await database.run_transaction(lambda s: plan_batch(s, [message], senders))
    async with database.sessions() as session:
        return (await session.scalars(select(OutgoingLetter.id))).one()


async def test_the_operator_downloads_and_marks_a_letter_sent(
    post_room: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    letter_id = await queued_letter(database, settings)
    await login(post_room, "op.anna")

    page = await post_room.get("/letters")
    assert page.status_code == 200
    assert 'id="pending-letters"' in page.text and NUMBER in page.text
    assert "Сидорова Анна Петровна" in page.text and "г. Москва, ул. Примерная, д. 1" in page.text
    assert f'href="/letters/{letter_id}.pdf"' in page.text
    assert f'href="/tickets/{NUMBER}"' not in page.text  # an operator has no ticket page to open

    pdf = await post_room.get(f"/letters/{letter_id}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert pdf.content.startswith(b"%PDF")

    form = {"csrf_token": csrf_of(page.text), "next": "/letters"}
    marked = await post_room.post(f"/letters/{letter_id}/sent", data=form)
    assert marked.status_code == 303 and marked.headers["location"] == "/letters"
    after = await post_room.get("/letters")
    assert "Письмо отмечено отправленным." in after.text
    assert "Писем, ждущих отправки, нет." in after.text and 'id="sent-letters"' in after.text and NUMBER in after.text

    again = await post_room.post(f"/letters/{letter_id}/sent", data=form)
    assert again.status_code == 303
    assert "уже отмечено" in (await post_room.get("/letters")).text

    async with database.sessions() as session:
        letter = await session.get(OutgoingLetter, letter_id)
        assert letter is not None and (letter.status, letter.sent_by) == ("sent", "op.anna")
        assert letter.sent_at is not None
        history = (await session.execute(
            select(TicketHistory.actor, TicketHistory.note).where(TicketHistory.action == "letter_sent"))).all()
    assert [tuple(row) for row in history] == [("op.anna", "Письмо отправлено по почте")]


async def test_a_manager_without_access_to_the_ticket_gets_no_letter(
    post_room: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    letter_id = await queued_letter(database, settings)
    await login(post_room, "m.other")
    page = await post_room.get("/letters")
    assert page.status_code == 200 and NUMBER not in page.text
    assert (await post_room.get(f"/letters/{letter_id}.pdf")).status_code == 403
    refused = await post_room.post(f"/letters/{letter_id}/sent", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 403
    async with database.sessions() as session:
        assert (await session.scalar(select(OutgoingLetter.status))) == "pending"


async def test_the_ticket_manager_sees_the_letter_with_a_ticket_link(
    post_room: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    letter_id = await queued_letter(database, settings)
    await login(post_room, "m.petrova")
    page = await post_room.get("/letters")
    assert f'href="/tickets/{NUMBER}"' in page.text
    assert (await post_room.get(f"/letters/{letter_id}.pdf")).status_code == 200
