"""The REST API on a ticket a client has written to hundreds of times: the ticket carries the latest entries of its
history and their count, and GET /api/v1/tickets/{number}/history pages through every entry, with the same record
access as the ticket itself."""

from __future__ import annotations

import httpx
import pytest

from router.contracts import HistoryPage, TicketView
from tests.web.factories import add_client, add_staff, add_ticket
from tests.web.test_ticket_flood import FOLLOW_UPS, flooded_ticket
from workers.app.runtime import Database
from workers.web.api.tickets import HISTORY_PAGE_MAX
from workers.web.latest_rows import SHOWN_ROWS

# SQLite and a real PostgreSQL (ordering, LIMIT/OFFSET and counting behave the same on both).
pytestmark = pytest.mark.usefixtures("database_url")
NUMBER = "C-2025-000001"
ENTRIES = FOLLOW_UPS + 3  # registered, the early note and the stage change, then one entry per follow-up


def notes(page: HistoryPage) -> list[str | None]:
    return [entry.note for entry in page.items]


async def test_a_flooded_ticket_carries_its_latest_history_and_the_count(
    api: httpx.AsyncClient, database: Database,
) -> None:
    await flooded_ticket(database)
    response = await api.get(f"/api/v1/tickets/{NUMBER}")
    assert response.status_code == 200, response.text
    ticket = TicketView.model_validate(response.json())  # the published contract, extra="forbid"
    assert ticket.schema_version == 2
    assert len(ticket.history) == SHOWN_ROWS and ticket.history_total == ENTRIES
    # The latest entries, oldest first.
    assert [h.note for h in ticket.history] == [f"Запись №{i}." for i in range(FOLLOW_UPS - SHOWN_ROWS, FOLLOW_UPS)]
    assert all(a.at <= b.at for a, b in zip(ticket.history, ticket.history[1:], strict=False))
    assert str(SHOWN_ROWS) in TicketView.model_fields["history"].description  # type: ignore[operator]

    listed = (await api.get("/api/v1/tickets", params={"client": "Д-000123"})).json()
    assert listed["total"] == 1
    item = TicketView.model_validate(listed["items"][0])
    assert len(item.history) == SHOWN_ROWS and item.history_total == ENTRIES


async def test_every_entry_is_read_a_page_at_a_time(api: httpx.AsyncClient, database: Database) -> None:
    await flooded_ticket(database)
    first = HistoryPage.model_validate((await api.get(f"/api/v1/tickets/{NUMBER}/history")).json())
    assert first.total == ENTRIES and len(first.items) == SHOWN_ROWS  # the default page
    assert [e.action for e in first.items[:4]] == ["registered", "comment", "take", "follow_up"]
    assert first.items[1].note == "Ранняя заметка менеджера"

    walked: list[str | None] = []
    offset = 0
    while True:
        page = HistoryPage.model_validate((await api.get(
            f"/api/v1/tickets/{NUMBER}/history", params={"limit": 64, "offset": offset})).json())
        assert page.total == ENTRIES and len(page.items) <= 64
        if not page.items:
            break
        walked += notes(page)
        offset += len(page.items)
    assert len(walked) == ENTRIES
    assert walked[3:] == [f"Запись №{i}." for i in range(FOLLOW_UPS)]  # each once, in order

    whole = HistoryPage.model_validate((await api.get(
        f"/api/v1/tickets/{NUMBER}/history", params={"limit": HISTORY_PAGE_MAX})).json())
    assert notes(whole) == walked
    beyond = (await api.get(f"/api/v1/tickets/{NUMBER}/history", params={"offset": ENTRIES})).json()
    assert beyond == {"items": [], "total": ENTRIES}


async def test_a_short_ticket_carries_its_whole_history(api: httpx.AsyncClient, database: Database) -> None:
    client = await add_client(database, "Д-000123", "Иванов")
    await add_ticket(database, NUMBER, client_id=client.id, assignee=None)
    ticket = TicketView.model_validate((await api.get(f"/api/v1/tickets/{NUMBER}")).json())
    assert [h.action for h in ticket.history] == ["registered"] and ticket.history_total == 1
    page = (await api.get(f"/api/v1/tickets/{NUMBER}/history")).json()
    assert page["total"] == 1 and [e["action"] for e in page["items"]] == ["registered"]


async def test_the_history_has_the_tickets_record_access_and_clear_errors(
    api: httpx.AsyncClient, database: Database,
) -> None:
    await flooded_ticket(database)  # petrova's ticket
    await add_staff(database, "volkov", role="manager")
    await add_staff(database, "op.anna", role="operator")
    path = f"/api/v1/tickets/{NUMBER}/history"
    assert (await api.get(path, headers={"X-On-Behalf-Of": "petrova"})).status_code == 200
    for stranger in ("volkov", "op.anna"):
        refused = await api.get(path, headers={"X-On-Behalf-Of": stranger})
        assert refused.status_code == 403, refused.text
        assert "Запись" not in refused.text and refused.json()["error"].startswith(f"У сотрудника «{stranger}»")
    assert (await api.get(path, headers={"Authorization": "Bearer wrong"})).status_code == 401

    for number in ("C-2025-999999", "nonsense"):
        missing = await api.get(f"/api/v1/tickets/{number}/history")
        assert missing.status_code == 404 and missing.json()["error_en"].endswith("was not found.")
    for params in ({"limit": 0}, {"limit": HISTORY_PAGE_MAX + 1}, {"offset": -1}, {"offset": 10**30},
                   {"limit": "many"}):
        bad = await api.get(path, params=params)
        assert bad.status_code == 422, (params, bad.text)
        assert bad.json()["error"].startswith("Запрос не принят.")
