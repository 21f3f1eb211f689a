"""Identity claims on the staff pages (SQLite and PostgreSQL): the ticket a chat account claimed with a typed
contract carries the badge «Личность не подтверждена» with the claimed contract (ticket page, start page queue,
search), driven by the stored claim; staff confirm it (the account is linked, the ticket goes to the client's
manager) or reject it (nothing linked) through the review action forms, with role and record checks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities, ReplyTarget
from router.calendar import BusinessCalendar
from router.models import Client, ClientIdentity, IdentityClaim, Outbox, Ticket, TicketHistory
from router.routing import route_events
from tests.support.directory import IVANOV, SIDOROVA, seed_directory
from tests.web.conftest import csrf_of, login
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
BADGE = "Личность не подтверждена"


def chat(user: str, text: str, contract: str) -> ComplaintEvent:
    message = uuid.uuid4().hex[:8]
    return ComplaintEvent(
        event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=Channel.VK, native_id=f"1:{message}",
        received_at=NOW, text=text, identities=Identities(vk_ids=[user], contract_numbers=[contract]),
        reply_to=ReplyTarget(address=user, message_id=message), content_id=f"{user}:{message}",
    )


@pytest.fixture
async def claimed(database: Database) -> dict[str, str]:
    """Two queue tickets of unverified VK accounts: 701 claims Ivanov, 702 claims Sidorova."""
    async with database.sessions() as session, session.begin():
        await seed_directory(session)
    numbers = {}
    for user, person in (("701", IVANOV), ("702", SIDOROVA)):
        event = chat(user, f"Нет интернета, договор {person.contract}", person.contract)
        [result] = await database.run_transaction(lambda s, e=event: route_events(s, [e], BusinessCalendar(), NOW))
        assert result.ticket_number is not None and result.assignee is None
        numbers[user] = result.ticket_number
    return numbers


async def _post(web: httpx.AsyncClient, number: str, action: str, **fields: str) -> httpx.Response:
    page = await web.get(f"/tickets/{number}")
    token = csrf_of(page.text) if page.status_code == 200 else csrf_of((await web.get("/")).text)
    return await web.post(f"/tickets/{number}/actions/{action}", data={"csrf_token": token, **fields})


async def _ticket(database: Database, number: str) -> Ticket:
    async with database.sessions() as session:
        found = await session.scalar(select(Ticket).where(Ticket.number == number))
    assert found is not None
    return found


async def _claim_status(database: Database, number: str) -> str:
    ticket = await _ticket(database, number)
    async with database.sessions() as session:
        status = await session.scalar(select(IdentityClaim.status).where(IdentityClaim.ticket_id == ticket.id))
    assert status is not None
    return status


async def _owner_of(database: Database, account: str) -> int | None:
    async with database.sessions() as session:
        return await session.scalar(select(ClientIdentity.client_id).where(
            ClientIdentity.kind == "vk", ClientIdentity.value == account))


async def test_the_badge_shows_the_claimed_contract_on_the_ticket_the_queue_and_search(
    web: httpx.AsyncClient, claimed: dict[str, str]
) -> None:
    await login(web, "h.subscriber", "secret")
    page = await web.get(f"/tickets/{claimed['701']}")
    assert page.status_code == 200
    assert f'id="identity-claim">{BADGE}</span>' in page.text
    assert f"договор <strong>{IVANOV.contract}</strong>" in page.text
    actions = page.text.split('id="actions"')[1]
    assert '/actions/confirm_identity"' in actions and '/actions/reject_identity"' in actions
    assert "Подтвердить личность" in actions and "Отклонить: личность не подтверждена" in actions

    queue = (await web.get("/")).text.split('id="queue"')[1]
    assert queue.count(BADGE) == 2 and f"договор {IVANOV.contract}?" in queue
    found = await web.get("/search", params={"q": claimed["702"]})
    assert BADGE in found.text and f"договор {SIDOROVA.contract}?" in found.text


async def test_staff_confirm_links_the_account_and_hands_the_ticket_to_the_manager(
    web: httpx.AsyncClient, database: Database, claimed: dict[str, str]
) -> None:
    number = claimed["701"]
    await login(web, "op.anna", "secret")  # an operator serving nobody cannot even open it
    assert (await _post(web, number, "confirm_identity")).status_code == 403
    assert await _owner_of(database, "701") is None

    web.cookies.clear()
    await login(web, "h.subscriber", "secret")
    done = await _post(web, number, "confirm_identity", note="Позвонили по телефону из договора")
    assert done.status_code == 303
    async with database.sessions() as session:
        ivanov = await session.scalar(select(Client.id).where(Client.contract_number == IVANOV.contract))
        notes = list(await session.scalars(select(TicketHistory.note).where(
            TicketHistory.action == "confirm_identity")))
        told = list(await session.scalars(select(Outbox.payload).where(Outbox.subject == "outbound.vk")))
    assert await _owner_of(database, "701") == ivanov
    ticket = await _ticket(database, number)
    assert (ticket.client_id, ticket.assignee_login, ticket.stage) == (ivanov, "m.petrova", "primary_review")
    assert await _claim_status(database, number) == "confirmed"
    assert len(notes) == 1 and "Личность подтверждена сотрудником" in (notes[0] or "")
    assert "Позвонили по телефону" in (notes[0] or "")
    assert "личность подтверждена" in told[-1]["text"] and told[-1]["text"].startswith("Здравствуйте, Иванов")
    page = await web.get(f"/tickets/{number}")
    assert 'id="identity-claim"' not in page.text and "/actions/confirm_identity" not in page.text

    # Now the manager's ticket: another manager can no longer open it, let alone act on it.
    web.cookies.clear()
    await login(web, "m.idle", "secret")
    assert (await _post(web, number, "reject_identity")).status_code == 403


async def test_staff_reject_closes_the_claim_without_linking(
    web: httpx.AsyncClient, database: Database, claimed: dict[str, str]
) -> None:
    number = claimed["702"]
    await login(web, "m.idle", "secret")  # a manager works the queue
    done = await _post(web, number, "reject_identity", note="Номер телефона не совпал")
    assert done.status_code == 303
    assert await _owner_of(database, "702") is None
    ticket = await _ticket(database, number)
    assert (ticket.client_id, ticket.assignee_login, ticket.stage) == (None, None, "registered")
    assert await _claim_status(database, number) == "rejected"
    page = await web.get(f"/tickets/{number}")
    assert 'id="identity-claim"' not in page.text and "/actions/confirm_identity" not in page.text
    # Nothing pending any more: a late confirm is refused (a conflict, shown as a message), nothing linked.
    late = await _post(web, number, "confirm_identity")
    assert late.status_code == 303 and await _owner_of(database, "702") is None
    assert await _claim_status(database, number) == "rejected"
