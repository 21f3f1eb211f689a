"""The review process through the REST API: POST /api/v1/tickets/{number}/actions/{action} with
X-On-Behalf-Of, and GET /api/v1/tickets/{number} with record access and allowed_actions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from faststream.nats import NatsBroker
from pydantic import SecretStr
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from router.contracts import TicketView
from tests.web.factories import seed_review_client, seed_review_staff, seed_review_ticket
from workers.app.runtime import Database
from workers.app.settings import ApiToken, Settings
from workers.web import create_app

# SQLite and a real PostgreSQL.
pytestmark = pytest.mark.usefixtures("database_url")

NUMBER = "C-2025-000001"


def as_staff(login: str) -> dict[str, str]:
    return {"X-On-Behalf-Of": login}


async def seed(database: Database, stage: str = "primary_review", *, assignee: str = "m.petrova",
               **review: object) -> None:
    """A ticket as routing leaves it for the personal manager: at primary review."""
    def work(session: Session) -> None:
        seed_review_staff(session)
        petrova = seed_review_client(session, "12-000001", manager_login="m.petrova")
        volkov = seed_review_client(session, "12-000002", "Сидоров Пётр", manager_login="m.volkov")
        client = petrova if assignee == "m.petrova" else volkov
        seed_review_ticket(session, NUMBER, client_id=client.id, assignee=assignee, stage=stage, **review)

    await database.run_transaction(work)


async def act(api: httpx.AsyncClient, login: str, action: str, body: dict[str, Any] | None = None,
              number: str = NUMBER) -> httpx.Response:
    return await api.post(f"/api/v1/tickets/{number}/actions/{action}", json=body or {}, headers=as_staff(login))


async def done(api: httpx.AsyncClient, login: str, action: str, body: dict[str, Any] | None = None) -> TicketView:
    response = await act(api, login, action, body)
    assert response.status_code == 200, response.text
    ticket = TicketView.model_validate(response.json())
    # The action's own row is the last, but for the clocks' pause or resume it may start (router.sla.pause).
    assert [h.action for h in ticket.history if h.action not in ("clock_paused", "clock_resumed")][-1] == action
    return ticket


async def seen_by(api: httpx.AsyncClient, login: str) -> TicketView:
    response = await api.get(f"/api/v1/tickets/{NUMBER}", headers=as_staff(login))
    assert response.status_code == 200, response.text
    return TicketView.model_validate(response.json())


def refused(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] and body["error_en"]
    return body


async def test_the_whole_path_through_the_api(api: httpx.AsyncClient, database: Database) -> None:
    await seed(database)
    anonymous = TicketView.model_validate((await api.get(f"/api/v1/tickets/{NUMBER}")).json())
    assert anonymous.allowed_actions == [] and anonymous.stage == "primary_review"
    assert "acknowledge" in (await seen_by(api, "m.petrova")).allowed_actions

    ticket = await done(api, "m.petrova", "acknowledge")
    assert ticket.stage == "primary_review" and ticket.deadlines.acknowledged_at is not None
    assert ticket.deadlines.resolved_at is None and ticket.assignee == "m.petrova"
    assert "send_to_department" in ticket.allowed_actions

    ticket = await done(api, "m.petrova", "send_to_department", {"department": "technical", "note": "Проверить линию"})
    assert (ticket.stage, ticket.department, ticket.handler) == ("deep_review", "technical", "h.technical")
    assert ticket.assignee == "m.petrova"
    assert ticket.allowed_actions == (await seen_by(api, "m.petrova")).allowed_actions
    assert {"ask_client", "conclude"} <= set((await seen_by(api, "h.technical")).allowed_actions)

    ticket = await done(api, "h.technical", "ask_client", {"text": "Когда пропал сигнал?"})
    assert ticket.waiting_for_client and ticket.stage == "deep_review"
    assert "conclude" in ticket.allowed_actions

    ticket = await done(api, "h.technical", "conclude", {
        "causes": "Обрыв кабеля", "conclusion": "Кабель заменён",
        "recommendations": ["Проверять кабели после ремонта подъездов"],
        "culprits_measures": "Выговор бригаде",
    })
    assert ticket.stage == "proposal" and ticket.handler == "m.petrova"
    assert "propose" in (await seen_by(api, "m.petrova")).allowed_actions
    assert "approve_measures" in (await seen_by(api, "d.director")).allowed_actions

    ticket = await done(api, "m.petrova", "propose", {"founded": True, "conclusion": "Сделать перерасчёт"})
    assert ticket.stage == "decision" and ticket.handler == "h.subscriber"
    assert "decide" in (await seen_by(api, "h.subscriber")).allowed_actions

    ticket = await done(api, "h.subscriber", "decide", {
        "founded": True, "conclusion": "Перерасчёт за 3 дня", "needs_director": True,
        "urgent_measures": "Проверить соседние дома",
    })
    assert ticket.stage == "decision" and ticket.director_pending and ticket.handler == "d.director"
    assert "approve" in (await seen_by(api, "d.director")).allowed_actions

    ticket = await done(api, "d.director", "approve")
    assert ticket.stage == "informing" and not ticket.director_pending
    assert "inform" in (await seen_by(api, "m.petrova")).allowed_actions

    ticket = await done(api, "m.petrova", "inform")
    assert (ticket.stage, ticket.status) == ("closed", "closed") and ticket.deadlines.resolved_at is not None
    assert "dispute" in ticket.allowed_actions

    ticket = await done(api, "m.petrova", "dispute", {"note": "Клиент не согласен с суммой перерасчёта"})
    assert (ticket.stage, ticket.status) == ("dispute", "open")
    assert "review_again" in (await seen_by(api, "d.director")).allowed_actions

    ticket = await done(api, "d.director", "review_again")
    assert ticket.stage == "decision" and ticket.review_round == 1
    assert "decide" in (await seen_by(api, "h.subscriber")).allowed_actions

    ticket = await done(api, "h.subscriber", "decide", {"founded": True, "conclusion": "Перерасчёт за 5 дней"})
    assert ticket.stage == "informing"
    assert "inform" in (await seen_by(api, "m.petrova")).allowed_actions

    ticket = await done(api, "m.petrova", "inform")
    assert (ticket.stage, ticket.status) == ("closed", "closed")

    final = await seen_by(api, "d.director")
    actions = [h.action for h in final.history]
    assert actions == [
        "acknowledge", "send_to_department", "ask_client", "clock_paused", "conclude", "clock_resumed", "propose",
        "decide", "approve", "inform", "dispute", "review_again", "decide", "inform",
    ]
    acted = final.history
    assert all("via lk" in (h.note or "") for h in acted), [h.note for h in acted]
    assert [h.actor for h in acted][:3] == ["m.petrova", "m.petrova", "h.technical"]
    assert (acted[1].from_stage, acted[1].to_stage) == ("primary_review", "deep_review")
    assert acted[-1].note is not None and acted[-1].note.startswith("Ответ клиенту по пересмотренному решению")
    assert final.deadlines.first_response == final.clocks.first_response_due


async def test_record_access_and_roles_are_403(api: httpx.AsyncClient, database: Database) -> None:
    await seed(database, "decision", assignee="m.volkov")
    # A manager cannot read or act on another manager's client's ticket by its number.
    refused(await api.get(f"/api/v1/tickets/{NUMBER}", headers=as_staff("m.petrova")), 403)
    body = refused(await act(api, "m.petrova", "comment", {"note": "Посмотрю"}), 403)
    assert NUMBER in body["error"] and NUMBER in body["error_en"]
    # An operator cannot decide (and sees no ticket of a client they are not serving).
    refused(await act(api, "op.anna", "decide", {"founded": False, "conclusion": "Нет"}), 403)
    # The owner may read it, but deciding is the subscriber head's.
    assert (await seen_by(api, "m.volkov")).allowed_actions
    refused(await act(api, "m.volkov", "decide", {"founded": False, "conclusion": "Нет"}), 403)
    assert [h.action for h in (await seen_by(api, "h.subscriber")).history] == []


async def test_send_to_department_before_acknowledge_is_409(api: httpx.AsyncClient, database: Database) -> None:
    await seed(database, "primary_review")
    body = refused(await act(api, "m.petrova", "send_to_department", {"department": "technical"}), 409)
    assert "подтвердите" in body["error"] and "Acknowledge" in body["error_en"]
    assert (await seen_by(api, "m.petrova")).stage == "primary_review"


async def test_bad_fields_and_bad_json_are_422(api: httpx.AsyncClient, database: Database) -> None:
    await seed(database)
    url = f"/api/v1/tickets/{NUMBER}/actions/answer_unfounded"
    missing = refused(await act(api, "m.petrova", "answer_unfounded"), 422)
    assert any(d["field"] == "text" for d in missing["details"])
    refused(await act(api, "m.petrova", "acknowledge", {"text": "Принято", "bogus": 1}), 422)
    # The subscriber head's action (a manager takes a queue ticket only for himself: test_review_process).
    refused(await act(api, "m.petrova", "reassign", {"login": "m.volkov"}), 403)
    for raw in (b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"):
        headers = {**as_staff("m.petrova"), "Content-Type": "application/json"}
        refused(await api.post(url, content=raw, headers=headers), 422)
    too_big = b'{"text": "' + b"x" * (300 * 1024) + b'"}'
    refused(await api.post(url, content=too_big, headers=as_staff("m.petrova")), 413)
    refused(await act(api, "m.petrova", "send_to_department", {"department": "nowhere"}), 409)  # not acknowledged
    ticket = await seen_by(api, "m.petrova")
    assert ticket.stage == "primary_review" and ticket.history == [] and ticket.status == "open"


async def test_unknown_ticket_action_and_missing_header(api: httpx.AsyncClient, database: Database) -> None:
    await seed(database)
    refused(await act(api, "m.petrova", "acknowledge", number="C-2025-999999"), 404)
    refused(await act(api, "m.petrova", "acknowledge", number="nonsense"), 404)
    refused(await act(api, "m.petrova", "fly_away"), 404)
    refused(await api.post(f"/api/v1/tickets/{NUMBER}/actions/acknowledge", json={}), 400)
    refused(await act(api, "nobody", "acknowledge"), 403)


async def test_a_database_failure_is_503(api: httpx.AsyncClient, database: Database,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    await seed(database)

    async def broken(work: object) -> object:
        raise OperationalError("UPDATE tickets", {}, Exception("connection lost"))

    monkeypatch.setattr(database, "run_transaction", broken)
    body = refused(await act(api, "m.petrova", "acknowledge"), 503)
    assert "connection lost" not in str(body)


@pytest.fixture
async def reader(settings: Settings, database: Database, broker: NatsBroker) -> AsyncIterator[httpx.AsyncClient]:
    tokens = {"reader": ApiToken(token=SecretStr("tok-reader"), scopes=frozenset({"tickets:read"}))}
    app = create_app(settings.model_copy(update={"api_tokens": tokens}), database, broker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 headers={"Authorization": "Bearer tok-reader"}) as client:
        yield client


async def test_a_read_only_token_cannot_act(reader: httpx.AsyncClient, database: Database) -> None:
    await seed(database)
    body = refused(await reader.post(f"/api/v1/tickets/{NUMBER}/actions/acknowledge", json={},
                                     headers=as_staff("m.petrova")), 403)
    assert "tickets:act" in body["error_en"]
    ticket = TicketView.model_validate((await reader.get(f"/api/v1/tickets/{NUMBER}",
                                                         headers=as_staff("m.petrova"))).json())
    assert ticket.stage == "primary_review" and "acknowledge" in ticket.allowed_actions


async def test_the_list_holds_only_what_the_staff_member_may_see(api: httpx.AsyncClient, database: Database) -> None:
    """GET /api/v1/tickets with X-On-Behalf-Of: items and total within the member's record access."""
    await seed(database, "primary_review", assignee="m.volkov")

    def second(session: Session) -> None:
        client = seed_review_client(session, "12-000003", "Орлов Олег", manager_login="m.petrova")
        seed_review_ticket(session, "C-2025-000002", client_id=client.id, assignee="m.petrova",
                           stage="primary_review", native_id="second")

    await database.run_transaction(second)

    async def listed(login: str | None) -> tuple[set[str], int]:
        response = await api.get("/api/v1/tickets", headers=as_staff(login) if login else {})
        assert response.status_code == 200, response.text
        page = response.json()
        return {item["number"] for item in page["items"]}, page["total"]

    assert await listed("m.petrova") == ({"C-2025-000002"}, 1)
    assert await listed("m.volkov") == ({NUMBER}, 1)
    assert await listed("h.subscriber") == ({NUMBER, "C-2025-000002"}, 2)
    assert await listed(None) == ({NUMBER, "C-2025-000002"}, 2)  # the API client itself, no staff member
