"""GET /api/v1/tickets/{number} and /api/v1/tickets: router.contracts.TicketView JSON with aware clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from router.contracts import TicketView
from router.models import Ticket
from tests.web.factories import REGISTERED_AT, add_client, add_staff, add_ticket
from workers.app.runtime import Database

# SQLite and a real PostgreSQL (datetimes, unique-key races behave differently).
pytestmark = pytest.mark.usefixtures("database_url")


async def test_ticket_by_number(api: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "petrova", role="manager", name="Петрова Анна")
    client = await add_client(database, "Д-000123", "Иванов Иван Иванович", manager_login="petrova")
    await add_ticket(database, "C-2025-000001", client_id=client.id, assignee="petrova")

    response = await api.get("/api/v1/tickets/C-2025-000001")
    assert response.status_code == 200, response.text
    ticket = TicketView.model_validate(response.json())  # the published contract, extra="forbid"
    assert ticket.number == "C-2025-000001"
    assert ticket.client_id == client.id and ticket.client_name == "Иванов Иван Иванович"
    assert ticket.assignee == "petrova" and ticket.queue == "subscriber"
    assert ticket.stage == "registered" and ticket.status == "open"
    assert ticket.created_at == REGISTERED_AT
    assert ticket.clocks.first_response_due == REGISTERED_AT + timedelta(hours=8)
    assert ticket.clocks.legal_due == REGISTERED_AT + timedelta(days=60)
    # SQLite keeps no offset: the API must still say these are UTC instants.
    assert response.json()["clocks"]["resolution_due"].endswith(("Z", "+00:00"))
    assert [h.action for h in ticket.history] == ["registered"]
    assert ticket.history[0].at.tzinfo is not None and ticket.history[0].to_stage == "registered"


async def test_unknown_ticket_is_a_json_404(api: httpx.AsyncClient) -> None:
    for number in ("C-2025-999999", "nonsense"):
        response = await api.get(f"/api/v1/tickets/{number}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["error_en"].endswith("was not found.")
    assert "nonsense" not in (await api.get("/api/v1/tickets/nonsense")).text


async def test_ticket_list_by_client_status_and_page(api: httpx.AsyncClient, database: Database) -> None:
    ivanov = await add_client(database, "Д-000123", "Иванов")
    other = await add_client(database, "777", "Сидоров")
    for i in range(1, 4):
        await add_ticket(database, f"C-2025-00000{i}", client_id=ivanov.id, assignee=None,
                         created_at=datetime(2025, 11, i, 9, tzinfo=UTC))
    await add_ticket(database, "C-2025-000009", client_id=other.id, assignee=None)
    async with database.sessions() as session, session.begin():
        await session.execute(update(Ticket).where(Ticket.number == "C-2025-000001").values(status="closed"))

    by_contract = (await api.get("/api/v1/tickets", params={"client": "Д-000123"})).json()
    assert by_contract["total"] == 3
    assert [t["number"] for t in by_contract["items"]] == ["C-2025-000003", "C-2025-000002", "C-2025-000001"]

    by_id = (await api.get("/api/v1/tickets", params={"client": str(ivanov.id), "status": "open"})).json()
    assert by_id["total"] == 2 and {t["status"] for t in by_id["items"]} == {"open"}

    closed = (await api.get("/api/v1/tickets", params={"client": str(ivanov.id), "status": "closed"})).json()
    assert [t["number"] for t in closed["items"]] == ["C-2025-000001"]

    # A contract number made of digits names that contract, not the client with that id.
    assert [t["number"] for t in (await api.get("/api/v1/tickets", params={"client": "777"})).json()["items"]] == [
        "C-2025-000009"
    ]

    page = (await api.get("/api/v1/tickets", params={"client": "Д-000123", "limit": 1, "offset": 1})).json()
    assert page["total"] == 3 and [t["number"] for t in page["items"]] == ["C-2025-000002"]

    nobody = (await api.get("/api/v1/tickets", params={"client": "Д-404"})).json()
    assert nobody == {"items": [], "total": 0}


async def test_ticket_list_rejects_bad_parameters_clearly(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/tickets", params={"status": "lost", "limit": 0})
    assert response.status_code == 422
    body = response.json()
    assert {d["field"] for d in body["details"]} == {"status", "limit"}
    assert "не меньше 1" in body["error"] and "at least 1" in body["error_en"]
    assert body["error"].startswith("Запрос не принят.")


async def test_ticket_api_needs_the_token(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/v1/tickets/C-2025-000001", headers={"Authorization": "Bearer x"})).status_code == 401
    assert (await api.get("/api/v1/tickets", headers={"Authorization": ""})).status_code == 401
