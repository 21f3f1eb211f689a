"""The staff UI of the review process: record access on pages and attachments, the action forms, the start
page per role, the recommendations list, search, and no raw codes on screen."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from router.models import FetchedAttachment, Recommendation, Staff, Ticket, TicketDecision, TicketHistory
from router.passwords import hash_password
from router.review import perform
from tests.web.conftest import csrf_of, login
from tests.web.factories import (
    REGISTERED_AT,
    add_callback,
    seed_review_client,
    seed_review_staff,
    seed_review_ticket,
)
from workers.app.runtime import Database

# SQLite and a real PostgreSQL.
pytestmark = pytest.mark.usefixtures("database_url")
NOW = datetime(2025, 11, 5, 9, 0, tzinfo=UTC)
NOTE = "Внутренняя заметка: клиент звонил дважды"


def _seed(session: Session) -> dict[str, int]:
    seed_review_staff(session)
    session.flush()
    session.execute(update(Staff).values(password_hash=hash_password("secret-pass")))
    ivanov = seed_review_client(session)
    sidorov = seed_review_client(session, "12-000002", "Сидоров Пётр Петрович", manager_login="m.volkov")
    own = seed_review_ticket(session, "C-2025-000001", client_id=ivanov.id, assignee="m.petrova", channel="web")
    session.add(TicketHistory(ticket_id=own.id, at=REGISTERED_AT, actor="channel:web", action="registered",
                              from_stage=None, to_stage="registered", note="Назначено: персональный менеджер"))
    seed_review_ticket(session, "C-2025-000002", client_id=sidorov.id, assignee="m.volkov",
                       stage="primary_review", acknowledged_at=REGISTERED_AT)
    seed_review_ticket(session, "C-2025-000003", client_id=None, assignee=None)  # the queue
    seed_review_ticket(session, "C-2025-000004", client_id=sidorov.id, assignee="m.volkov", stage="deep_review",
                       department="technical", handler_login="h.technical", acknowledged_at=REGISTERED_AT)
    seed_review_ticket(session, "C-2025-000005", client_id=sidorov.id, assignee="m.volkov", stage="deep_review",
                       department="billing", handler_login="h.billing", acknowledged_at=REGISTERED_AT)
    decision = seed_review_ticket(session, "C-2025-000006", client_id=sidorov.id, assignee="m.volkov",
                                  stage="decision", acknowledged_at=REGISTERED_AT)
    seed_review_ticket(session, "C-2025-000007", client_id=sidorov.id, assignee="m.volkov", stage="decision",
                       director_pending=True, acknowledged_at=REGISTERED_AT)
    seed_review_ticket(session, "C-2025-000008", client_id=sidorov.id, assignee="m.volkov", stage="dispute",
                       acknowledged_at=REGISTERED_AT)
    session.add(TicketDecision(ticket_id=decision.id, at=REGISTERED_AT, actor="h.technical", kind="conclusion",
                               department="technical", causes="Авария", conclusion="Сбой оборудования",
                               recommendations=[], culprits_measures="Выговор дежурному", needs_director=False,
                               re_reviewed=False))
    attachment = FetchedAttachment(submission_id="s-1", ticket_id=own.id, name="скан.pdf",
                                   content_type="application/pdf", url="https://example.ru/f", size=10,
                                   blob_key="sha256:" + "0" * 64, status="fetched", at=REGISTERED_AT)
    session.add(attachment)
    session.add(Recommendation(ticket_id=decision.id, department="technical", text="Резервировать узел связи",
                               status="new", created_at=REGISTERED_AT, created_by="h.technical"))
    session.add(TicketHistory(ticket_id=own.id, at=REGISTERED_AT, actor="m.petrova", action="comment",
                              from_stage="registered", to_stage="registered", note=NOTE))
    session.flush()
    return {"ivanov": ivanov.id, "sidorov": sidorov.id, "attachment": attachment.id}


@pytest.fixture
async def seeded(database: Database) -> dict[str, int]:
    return await database.run_transaction(_seed)


def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start:html.index("</section>", start)]


async def test_a_manager_cannot_open_another_managers_ticket_or_file(
    web: httpx.AsyncClient, seeded: dict[str, int]
) -> None:
    await login(web, "m.volkov")
    page = await web.get("/tickets/C-2025-000001")
    assert page.status_code == 403 and "нет доступа" in page.text
    assert (await web.get(f"/attachments/{seeded['attachment']}")).status_code == 403
    assert (await web.get("/tickets/C-2025-000002")).status_code == 200  # their own
    assert (await web.get("/tickets/C-2025-000003")).status_code == 200  # the queue

    web.cookies.clear()
    await login(web, "m.petrova")
    assert (await web.get("/tickets/C-2025-000001")).status_code == 200
    assert (await web.get(f"/attachments/{seeded['attachment']}")).status_code == 404  # allowed; no blob here
    assert (await web.get("/tickets/C-2025-000002")).status_code == 403


async def test_an_operator_reads_only_the_served_clients_tickets(
    web: httpx.AsyncClient, seeded: dict[str, int]
) -> None:
    await login(web, "op.anna")
    assert (await web.get("/tickets/C-2025-000001")).status_code == 403  # not serving anyone
    assert (await web.get("/phone/new", params={"client_id": seeded["ivanov"]})).status_code == 200
    page = await web.get("/tickets/C-2025-000001")
    assert page.status_code == 200
    assert NOTE not in page.text and 'id="notes"' not in page.text
    assert 'id="actions"' not in page.text and "/actions/" not in page.text
    assert "скан.pdf" not in page.text and "/attachments/" not in page.text
    assert (await web.get(f"/attachments/{seeded['attachment']}")).status_code == 403
    assert (await web.get("/tickets/C-2025-000002")).status_code == 403  # another client
    # An operator cannot act, even by a hand-made POST.
    refused = await web.post("/tickets/C-2025-000001/actions/comment",
                             data={"csrf_token": csrf_of(page.text), "note": "x"})
    assert refused.status_code == 403


async def test_the_ticket_page_shows_timeline_notes_and_exactly_the_allowed_forms(
    web: httpx.AsyncClient, seeded: dict[str, int]
) -> None:
    await login(web, "m.petrova")
    page = await web.get("/tickets/C-2025-000001")
    timeline = page.text.split('id="timeline"')[1].split("</ol>")[0]
    assert ('class="passed">Зарегистрирована' in timeline
            and 'class="current" aria-current="step">Первичная обработка' in timeline)
    assert NOTE in _section(page.text, "notes")
    actions = _section(page.text, "actions")
    for action in ("acknowledge", "answer_unfounded", "comment", "write_to_client"):
        assert f"/actions/{action}\"" in actions, action
    for action in ("send_to_department", "decide", "reassign", "approve"):
        assert f"/actions/{action}\"" not in actions, action
    ack = actions.split('id="action-acknowledge"')[1].split("</details>")[0]
    assert "принята к рассмотрению" in ack and "Петрова Мария Ивановна" in ack  # pre-filled, editable


async def test_a_form_post_performs_the_action_and_a_forbidden_one_is_refused(
    web: httpx.AsyncClient, database: Database, seeded: dict[str, int]
) -> None:
    await login(web, "m.petrova")
    page = await web.get("/tickets/C-2025-000001")
    token = csrf_of(page.text)
    early = await web.post("/tickets/C-2025-000001/actions/send_to_department",
                           data={"csrf_token": token, "department": "technical"})
    assert early.status_code == 303  # a Conflict: back to the ticket with the reason
    assert "Сначала подтвердите клиенту приём претензии" in (await web.get(early.headers["location"])).text
    done = await web.post("/tickets/C-2025-000001/actions/acknowledge",
                          data={"csrf_token": token, "text": "Ваша претензия принята."})
    assert done.status_code == 303 and done.headers["location"] == "/tickets/C-2025-000001"
    after = await web.get("/tickets/C-2025-000001")
    assert "Выполнено: «Подтвердить приём»" in after.text
    async with database.sessions() as session:
        actions = list(await session.scalars(select(TicketHistory.action).join(
            Ticket, Ticket.id == TicketHistory.ticket_id).where(Ticket.number == "C-2025-000001")))
    assert "acknowledge" in actions
    empty = await web.post("/tickets/C-2025-000001/actions/send_to_department",
                           data={"csrf_token": token, "department": ""})
    assert empty.status_code == 422 and "«Отдел»" in empty.text
    # The subscriber head's action, posted by hand by a manager: refused.
    refused = await web.post("/tickets/C-2025-000001/actions/reassign",
                             data={"csrf_token": token, "login": "m.volkov"})
    assert refused.status_code == 403 and "не разрешено" in refused.text


@pytest.mark.parametrize(("user", "shown", "hidden"), [
    ("m.petrova", {"my-tickets": ["C-2025-000001"], "queue": ["C-2025-000003"]},
     ["C-2025-000002", "C-2025-000004", "C-2025-000006", "list-decision", "list-disputes"]),
    ("h.technical", {"list-department": ["C-2025-000004"]},
     ["C-2025-000005", "C-2025-000001", "C-2025-000006", 'id="queue"']),
    ("h.subscriber", {"list-decision": ["C-2025-000006", "C-2025-000007"], "queue": ["C-2025-000003"]},
     ["list-disputes", "list-department"]),
    ("d.director", {"list-disputes": ["C-2025-000008"], "list-approvals": ["C-2025-000007"],
                    "list-measures": ["C-2025-000006"]}, ["list-decision", "list-department"]),
    ("op.anna", {"my-tickets": []}, ["C-2025-000001", "C-2025-000003", 'id="queue"']),
])
async def test_each_role_has_its_start_page(
    web: httpx.AsyncClient, seeded: dict[str, int], user: str, shown: dict[str, list[str]], hidden: list[str]
) -> None:
    await login(web, user)
    home = await web.get("/")
    assert home.status_code == 200
    for section, numbers in shown.items():
        part = _section(home.text, section)
        for number in numbers:
            assert number in part, (section, number)
    for text in hidden:
        assert text not in home.text, text


async def test_the_subscriber_head_assigns_from_the_queue(
    web: httpx.AsyncClient, database: Database, seeded: dict[str, int]
) -> None:
    await login(web, "h.subscriber")
    home = await web.get("/")
    queue = _section(home.text, "queue")
    assert "/tickets/C-2025-000003/actions/assign" in queue and "Петрова Мария Ивановна" in queue
    done = await web.post("/tickets/C-2025-000003/actions/assign",
                          data={"csrf_token": csrf_of(home.text), "login": "m.petrova", "next": "/"})
    assert done.status_code == 303 and done.headers["location"] == "/"
    async with database.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == "C-2025-000003"))
    assert ticket is not None and ticket.assignee_login == "m.petrova" and ticket.stage == "primary_review"


async def test_the_recommendations_status_is_changed_by_the_heads_only(
    web: httpx.AsyncClient, database: Database, seeded: dict[str, int]
) -> None:
    async with database.sessions() as session:
        item_id = await session.scalar(select(Recommendation.id))
    await login(web, "m.petrova")
    page = await web.get("/recommendations")
    assert page.status_code == 200 and "Резервировать узел связи" in page.text and "Новая" in page.text
    assert f"/recommendations/{item_id}/status" not in page.text
    refused = await web.post(f"/recommendations/{item_id}/status",
                             data={"csrf_token": csrf_of(page.text), "status": "done"})
    assert refused.status_code == 403

    web.cookies.clear()
    await login(web, "h.subscriber")
    page = await web.get("/recommendations")
    changed = await web.post(f"/recommendations/{item_id}/status",
                             data={"csrf_token": csrf_of(page.text), "status": "in_progress"})
    assert changed.status_code == 303
    assert "«В работе»" in (await web.get("/recommendations")).text
    async with database.sessions() as session:
        assert await session.scalar(select(Recommendation.status).where(Recommendation.id == item_id)) == "in_progress"


async def test_no_raw_codes_in_the_history(
    web: httpx.AsyncClient, database: Database, seeded: dict[str, int]
) -> None:
    def work(session: Session) -> None:
        perform(session, "C-2025-000001", "m.petrova", "acknowledge", {}, NOW)
        perform(session, "C-2025-000001", "m.petrova", "send_to_department",
                {"department": "technical", "note": "Проверить линию"}, NOW)

    await database.run_transaction(work)
    await login(web, "m.petrova")
    page = await web.get("/tickets/C-2025-000001")
    history = _section(page.text, "history") + _section(page.text, "notes")
    for raw in ("channel:web", "send_to_department", "acknowledge", "m.petrova", "h.technical", "technical",
                "primary_review", "deep_review"):
        assert raw not in history, raw
    for shown in ("Канал «", "Подтверждение получения", "Передана в отдел", "Петрова Мария Ивановна",
                  "Волков Сергей Николаевич", "Технический отдел"):
        assert shown in history, shown


async def test_search_stays_within_access(web: httpx.AsyncClient, seeded: dict[str, int]) -> None:
    await login(web, "m.petrova")
    by_contract = await web.get("/search", params={"q": "12-000002"})
    assert by_contract.status_code == 200 and "C-2025-000002" not in by_contract.text  # volkov's client
    for q in ("C-2025-000001", "12-000001", "Иванов", "иванов", "ИВАНОВ"):  # any case, on SQLite too
        assert "C-2025-000001" in _section((await web.get("/search", params={"q": q})).text, "search-results"), q
    for q in ("%", "Ив_нов", "%Иванов"):  # what is typed is searched for, not a LIKE pattern
        assert "C-2025-000001" not in _section((await web.get("/search", params={"q": q})).text, "search-results"), q
    web.cookies.clear()
    await login(web, "d.director")
    assert "C-2025-000002" in (await web.get("/search", params={"q": "Сидоров"})).text


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium is not installed")
async def test_the_pages_fit_a_390_px_screen(app: FastAPI, seeded: dict[str, int]) -> None:
    from tests.web.test_operator_browser import ARTIFACTS, chromium_page, log_in, serving

    ARTIFACTS.mkdir(exist_ok=True)
    async with serving(app) as base, chromium_page() as page:
        await page.set_viewport_size({"width": 390, "height": 844})
        await log_in(page, base, "h.subscriber")
        for path in ("/", "/tickets/C-2025-000006", "/recommendations", "/search?q=Сидоров"):
            await page.goto(f"{base}{path}")
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
            name = path.strip("/").split("?")[0].replace("/", "-") or "start"
            await page.screenshot(path=ARTIFACTS / f"review-390-{name}.png", full_page=True)


async def test_call_backs_are_shown_by_record_access_and_operators_see_all(
    web: httpx.AsyncClient, seeded: dict[str, int], database: Database
) -> None:
    async with database.sessions() as session:
        ids = {number: ticket_id for number, ticket_id in await session.execute(select(Ticket.number, Ticket.id))}
    own = await add_callback(database, ids["C-2025-000001"], 901, phone="+79161110001")  # m.petrova's client
    other = await add_callback(database, ids["C-2025-000002"], 902, phone="+79161110002")  # m.volkov's client
    await login(web, "m.volkov")
    listed = _section((await web.get("/")).text, "callbacks")
    assert "916 111-00-02" in listed and "916 111-00-01" not in listed
    page = await web.get("/")
    refused = await web.post(f"/callbacks/{own.id}/done", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 403 and "нет доступа" in refused.text
    done = await web.post(f"/callbacks/{other.id}/done", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 303

    web.cookies.clear()
    await login(web, "op.anna")  # calling back is the operators' work: every open task, no ticket link
    listed = _section((await web.get("/")).text, "callbacks")
    assert "916 111-00-01" in listed and "/tickets/C-2025-000001" not in listed
