"""One complaint walked through the whole review process in a real browser (Debian's chromium, Playwright),
each person of the demo directory logged in in turn, with a screenshot of each role's view.

The operator registers it on the phone form; the `pipeline` fixture runs the workers, so it really becomes a
ticket; the client's answers (to the department's question, then the dispute) arrive the way the gateway
receives them: a web feedback submission naming the ticket number, published to INTAKE.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy import select

from channels.web import parse_feedback
from router.models import Ticket, TicketHistory
from tests.support.waiting import eventually
from tests.web.factories import add_client, add_staff
from tests.web.test_operator_browser import CHROMIUM, CHROMIUM_ARGS, TICKET_NUMBER, log_in, serving
from workers.app.runtime import Database
from workers.app.worker_set import WorkerSet
from workers.bus.publish import publish_submission

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CLIENT_EMAIL = "ivan@example.ru"
# The demo directory (workers/app/demo_data/staff.csv): login, name, role, department.
STAFF = (
    ("operator1", "Соколова Анна Викторовна", "operator", "call_center"),
    ("ivanova", "Иванова Мария Сергеевна", "manager", "subscriber"),
    ("orlova", "Орлова Наталья Геннадьевна", "subscriber_head", "subscriber"),
    ("volkov", "Волков Сергей Николаевич", "department_head", "technical"),
    ("belov", "Белов Андрей Михайлович", "director", "management"),
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]


@asynccontextmanager
async def signed_in(browser: Browser, base: str, login: str, width: int = 1280) -> AsyncIterator[Page]:
    """A fresh browser context (no cookies) with `login` signed in."""
    context = await browser.new_context(viewport={"width": width, "height": 900}, locale="ru-RU")
    try:
        page = await context.new_page()
        page.set_default_timeout(15_000)
        await log_in(page, base, login)
        yield page
    finally:
        await context.close()


async def act(page: Page, action: str, title: str, **fields: str | bool) -> None:
    """Open the action's form on the ticket page, fill it, send it; the page flashes the success."""
    form = page.locator(f"#action-{action}")
    await form.locator("summary").click()
    for name, value in fields.items():
        widget = form.locator(f"[name={name}]")
        if value is True:
            await widget.check()
        elif await widget.evaluate("e => e.tagName") == "SELECT":
            await widget.select_option(str(value))
        else:
            await widget.fill(str(value))
    async with page.expect_navigation():  # the POST, then the redirect back to the ticket
        await form.locator("button[type=submit]").click()
    notice = page.locator(".notice", has_text="Выполнено")
    await notice.wait_for()
    assert f"Выполнено: «{title}»" in await notice.inner_text()
    assert await page.locator("#action-error").count() == 0


async def stage_shown(page: Page) -> str:
    return (await page.locator("#timeline li[aria-current=step]").inner_text()).strip()


async def history_text(page: Page) -> str:
    return await page.locator("#history").inner_text()


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=SCREENSHOTS / f"review-{name}.png", full_page=True)


async def history_has(database: Database, number: str, action: str) -> bool:
    async with database.sessions() as session:
        found = await session.scalar(select(TicketHistory.id).join(Ticket, Ticket.id == TicketHistory.ticket_id)
                                     .where(Ticket.number == number, TicketHistory.action == action).limit(1))
    return found is not None


async def client_writes(pipeline: WorkerSet, number: str, text: str) -> None:
    """The client answers in the personal account: a web feedback naming the ticket, handed off to INTAKE."""
    raw = parse_feedback({"text": f"[{number}] {text}", "email": CLIENT_EMAIL}, idempotency_key=uuid.uuid4().hex,
                         api_client="lk", received_at=datetime.now(UTC))
    await publish_submission(pipeline.broker, raw)


async def test_one_complaint_through_the_whole_review(app: FastAPI, database: Database, pipeline: WorkerSet) -> None:
    for login, name, role, department in STAFF:
        await add_staff(database, login, role=role, department=department, name=name)
    await add_client(database, "Д-000123", "Иванов Иван Иванович", packages=["Комфорт"],
                     phones=("+79161234567",), emails=(CLIENT_EMAIL,), manager_login="ivanova")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    async with serving(app) as base, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # 1. The operator registers the complaint during the call.
            async with signed_in(browser, base, "operator1") as page:
                await page.goto(f"{base}/phone?q=89161234567")
                await page.click("#search-results a:has-text('Выбрать')")
                await page.fill("#caller_name", "Иван Иванович")
                await page.fill("#subject", "Нет интернета")
                await page.select_option("#category", "connection")
                await page.fill("#text", "Третий день нет интернета. Прошу перерасчёт абонентской платы.")
                await page.click("#submit-complaint")
                number_link = page.locator("#ticket-number")
                await number_link.wait_for(timeout=45_000)
                number = (await number_link.inner_text()).strip()
                assert TICKET_NUMBER.fullmatch(number), number
                await shot(page, "1-operator1")
            ticket_url = f"{base}/tickets/{number}"

            # 2. The personal manager acknowledges (the pre-filled text) and sends it to the technical department.
            async with signed_in(browser, base, "ivanova") as page:
                assert number in await page.locator("#my-tickets").inner_text()
                await page.goto(ticket_url)
                # Routed to her as the personal manager: registered, then on to primary review at once.
                assert await stage_shown(page) == "Первичная обработка"
                prefilled = await page.locator("#action-acknowledge textarea[name=text]").input_value()
                assert number in prefilled and "Иванова Мария Сергеевна" in prefilled
                await act(page, "acknowledge", "Подтвердить приём")
                assert await stage_shown(page) == "Первичная обработка"
                assert "Подтверждение получения" in await history_text(page)
                await act(page, "send_to_department", "Передать в отдел", department="technical",
                          note="Проверьте узел связи по адресу клиента")
                assert await stage_shown(page) == "Глубокая обработка"
                assert "Волков Сергей Николаевич" in await page.locator("#ticket-handler").inner_text()
                assert "Передана в отдел" in await history_text(page)
                await shot(page, "2-ivanova")

            # 3. The department head asks the client; the client's reply threads back and ends the wait.
            async with signed_in(browser, base, "volkov") as page:
                assert number in await page.locator("#list-department").inner_text()
                await page.goto(ticket_url)
                await act(page, "ask_client", "Задать вопрос клиенту",
                          text="Подскажите, пожалуйста, горит ли индикатор на роутере?")
                assert "ждём ответа клиента" in await page.locator("#ticket-stage").inner_text()
                assert "Вопрос клиенту" in await history_text(page)

                await client_writes(pipeline, number, "Индикатор не горит, роутер перезагружал.")
                await eventually(lambda: history_has(database, number, "client_replied"))
                await page.reload()
                assert "Ответ клиента на вопрос" in await history_text(page)
                assert "ждём ответа клиента" not in await page.locator("#ticket-stage").inner_text()
                assert "Индикатор не горит" in await page.locator("#conversation").inner_text()

                # 4. He concludes, with a recommendation and a measure for the culprits.
                await act(page, "conclude", "Выводы глубокой обработки",
                          causes="Отказ коммутатора в доме клиента",
                          conclusion="Связи не было трое суток по вине оператора",
                          recommendations="Резервировать питание домовых коммутаторов",
                          culprits_measures="Замечание дежурному инженеру")
                assert await stage_shown(page) == "Предложения по результатам"
                assert "Выводы глубокой обработки" in await history_text(page)
                await shot(page, "3-volkov")

            # 5. The manager proposes.
            async with signed_in(browser, base, "ivanova") as page:
                await page.goto(ticket_url)
                await act(page, "propose", "Предложения менеджера", founded="true",
                          conclusion="Сделать перерасчёт за три дня и извиниться")
                assert await stage_shown(page) == "Принятие решения"
                assert "Предложения менеджера" in await history_text(page)

            # 6. The subscriber head decides; the decision needs the director.
            async with signed_in(browser, base, "orlova") as page:
                assert number in await page.locator("#list-decision").inner_text()
                await shot(page, "4-orlova")
                await page.goto(ticket_url)
                await act(page, "decide", "Принять решение", founded="true",
                          conclusion="Перерасчёт абонентской платы за три дня и извинения.",
                          needs_director=True)
                assert await stage_shown(page) == "Принятие решения"
                assert "на согласовании генерального директора" in await page.locator("#ticket-stage").inner_text()
                assert "Решение" in await history_text(page)

            # 7. The director approves the measures and the decision.
            async with signed_in(browser, base, "belov") as page:
                assert number in await page.locator("#list-approvals").inner_text()
                assert number in await page.locator("#list-measures").inner_text()
                await shot(page, "5-belov")
                await page.goto(ticket_url)
                await act(page, "approve_measures", "Согласовать меры к виновным")
                assert "Меры к виновным согласованы" in await history_text(page)
                await act(page, "approve", "Согласовать решение")
                assert await stage_shown(page) == "Информирование клиента"
                assert "Решение согласовано" in await history_text(page)

            # 8. The manager informs the client: the ticket closes.
            async with signed_in(browser, base, "ivanova") as page:
                await page.goto(ticket_url)
                answer = await page.locator("#action-inform textarea[name=text]").input_value()
                assert f"Мы рассмотрели вашу претензию {number}" in answer and "Перерасчёт" in answer
                await act(page, "inform", "Сообщить решение клиенту")
                assert await stage_shown(page) == "Закрыта"
                assert "закрыта" in await page.locator("h1 .badge").inner_text()
                assert "Решение сообщено клиенту" in await history_text(page)
                await shot(page, "6-ivanova")

            # 9. The client disputes: a reply inside the dispute window reopens it for the director.
            await client_writes(pipeline, number, "Не согласен: перерасчёт должен быть за неделю.")
            await eventually(lambda: history_has(database, number, "reopened"))

            # 10. The director sends it back to the decision; the subscriber head decides again.
            async with signed_in(browser, base, "belov") as page:
                assert number in await page.locator("#list-disputes").inner_text()
                assert number in await page.locator("#alerts").inner_text()
                await shot(page, "7-belov")
                await page.goto(ticket_url)
                assert await stage_shown(page) == "Оспаривание решения"
                assert "Возобновлена (оспаривание)" in await history_text(page)
                await act(page, "review_again", "Пересмотреть", note="Проверить длительность аварии")
                assert await stage_shown(page) == "Принятие решения"
                assert "Пересмотр" in await history_text(page)

            async with signed_in(browser, base, "orlova") as page:
                await page.goto(ticket_url)
                await act(page, "decide", "Принять решение", founded="true",
                          conclusion="Перерасчёт абонентской платы за неделю и извинения.")
                assert await stage_shown(page) == "Информирование клиента"

            async with signed_in(browser, base, "ivanova") as page:
                await page.goto(ticket_url)
                answer = await page.locator("#action-inform textarea[name=text]").input_value()
                assert "решение пересмотрено" in answer and "за неделю" in answer
                await act(page, "inform", "Сообщить решение клиенту")
                assert await stage_shown(page) == "Закрыта"
                assert "закрыта" in await page.locator("h1 .badge").inner_text()
                conversation = await page.locator("#conversation").inner_text()
                assert f"Мы рассмотрели вашу претензию {number}" in conversation
                assert f"По вашей претензии {number} решение пересмотрено" in conversation
                assert (await history_text(page)).count("Решение сообщено клиенту") == 2
                await shot(page, "8-ivanova")

            async with signed_in(browser, base, "ivanova", width=390) as page:
                await page.goto(ticket_url)
                assert await stage_shown(page) == "Закрыта"
                await page.screenshot(path=SCREENSHOTS / "review-mobile.png", full_page=True)
        finally:
            await browser.close()

    async with database.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket is not None and (ticket.status, ticket.stage) == ("closed", "closed")
    for path in SCREENSHOTS.glob("review-*.png"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
