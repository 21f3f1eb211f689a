"""The operator's whole phone flow in a real browser (Debian's chromium driven by Playwright).

uvicorn serves create_app() on a loopback port inside the test's event loop; the lead's `pipeline`
fixture runs the workers, so the submitted complaint really becomes a ticket.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Page, async_playwright
from sqlalchemy import select

from channels.phone import PHONE_REFUSAL_TEXT
from router.models import Ticket
from tests.web.factories import add_client, add_staff
from workers.app.runtime import Database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
TICKET_NUMBER = re.compile(r"C-\d{4}-\d{6}")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    port = free_loopback_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # raises what stopped the server from starting
                raise RuntimeError("uvicorn exited before it started")
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@asynccontextmanager
async def chromium_page() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
            page = await context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            await browser.close()


async def log_in(page: Page, base: str, user: str) -> None:
    await page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login")  # not logged in yet: sent to the login page
    await page.fill("#login", user)
    await page.fill("#password", "secret-pass")
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/")


async def test_operator_files_a_phone_complaint(app: FastAPI, database: Database, pipeline: object) -> None:
    await add_staff(database, "petrova", role="manager", name="Петрова Анна Сергеевна")
    await add_staff(database, "oper1", name="Смирнова Ольга")
    await add_client(database, "Д-000123", "Иванов Иван Иванович", packages=["Комфорт"],
                     phones=("+79161234567",), emails=("ivan@example.ru",), manager_login="petrova")
    ARTIFACTS.mkdir(exist_ok=True)

    async with serving(app) as base, chromium_page() as page:
        await log_in(page, base, "oper1")
        await page.click("text=Приём звонка")
        await page.fill("#q", "8 (916) 123-45-67")
        await page.press("#q", "Enter")
        results = page.locator("#search-results")
        await results.wait_for()
        assert "Иванов Иван Иванович" in await results.inner_text()
        await page.screenshot(path=ARTIFACTS / "operator-search.png", full_page=True)

        await page.click("#search-results a:has-text('Выбрать')")
        card = await page.locator("#client-card").inner_text()
        assert "Д-000123" in card and "Комфорт" in card and "Петрова Анна Сергеевна" in card
        await page.fill("#caller_name", "Иван Иванович")
        await page.fill("#subject", "Нет интернета")
        await page.select_option("#category", "connection")
        await page.fill("#text", "Третий день нет интернета. Прошу перерасчёт абонентской платы.")
        await page.screenshot(path=ARTIFACTS / "operator-form.png", full_page=True)
        await page.click("#submit-complaint")

        number_link = page.locator("#ticket-number")
        await number_link.wait_for(timeout=45_000)  # the page refreshes every second until the router is done
        number = (await number_link.inner_text()).strip()
        assert TICKET_NUMBER.fullmatch(number), number
        await page.screenshot(path=ARTIFACTS / "operator-page.png", full_page=True)

        await number_link.click()
        await page.wait_for_url(f"{base}/tickets/{number}")
        assert (await page.locator("#ticket-number").inner_text()).strip() == number
        assert "Иванов Иван Иванович" in await page.locator("#ticket-client").inner_text()
        assert "Петрова Анна Сергеевна" in await page.locator("#ticket-assignee").inner_text()
        assert "Третий день нет интернета" in await page.locator("#ticket-text").inner_text()
        assert "Смирнова Ольга" in await page.locator("#history").inner_text()
        await page.screenshot(path=ARTIFACTS / "ticket-page.png", full_page=True)

    async with database.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket is not None
    assert ticket.channel == "phone" and ticket.assignee_login == "petrova"
    for name in ("operator-search.png", "operator-form.png", "operator-page.png", "ticket-page.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000, name


async def test_operator_sees_the_phone_refusal(app: FastAPI, database: Database) -> None:
    await add_staff(database, "oper1", name="Смирнова Ольга")
    await add_client(database, "Д-000200", "Кузнецова Мария Петровна", packages=["Базовый"],
                     phones=("+79035550000",))
    ARTIFACTS.mkdir(exist_ok=True)

    async with serving(app) as base, chromium_page() as page:
        await log_in(page, base, "oper1")
        await page.goto(f"{base}/phone?q=89035550000")
        await page.click("#search-results a:has-text('Выбрать')")
        refusal = page.locator("#phone-refusal")
        await refusal.wait_for()
        assert PHONE_REFUSAL_TEXT in await refusal.inner_text()
        assert await page.locator("#complaint-form").count() == 0
        await page.screenshot(path=ARTIFACTS / "operator-refusal.png", full_page=True)


async def test_manager_sees_a_bounced_reply(app: FastAPI, database: Database) -> None:
    from datetime import UTC, datetime

    from router.models import SentMessage, StaffAlert
    from tests.web.factories import add_ticket

    await add_staff(database, "petrova", role="manager", name="Петрова Анна Сергеевна")
    client = await add_client(database, "Д-000321", "Сидорова Анна Петровна", emails=("anna@example.ru",),
                              manager_login="petrova")
    ticket = await add_ticket(database, "C-2026-000042", client_id=client.id, assignee="petrova")
    alert_text = "Ответ клиенту не доставлен: претензия C-2026-000042, адрес anna@example.ru. 550 5.1.1 no such user"
    async with database.sessions() as session, session.begin():
        session.add(StaffAlert(login="petrova", ticket_id=ticket.id, created_at=datetime.now(UTC),
                               kind="reply_bounced", text=alert_text))
        session.add(SentMessage(
            message_id="<outbox-17.C-2026-000042@claims.example.ru>", ticket_id=ticket.id, outbox_id=17,
            channel="email", kind="acknowledgement", address="anna@example.ru",
            subject="Re: [C-2026-000042] Нет интернета", sent_at=datetime.now(UTC), status="bounced",
            detail="550 5.1.1 no such user"))
    ARTIFACTS.mkdir(exist_ok=True)

    async with serving(app) as base, chromium_page() as page:
        await log_in(page, base, "petrova")
        alerts = page.locator("#alerts")
        await alerts.wait_for()
        assert "550 5.1.1" in await alerts.inner_text()
        await page.screenshot(path=ARTIFACTS / "manager-alert.png", full_page=True)

        await page.click("#alerts a:has-text('C-2026-000042')")
        await page.wait_for_url(f"{base}/tickets/C-2026-000042")
        sent = await page.locator("#sent-messages").inner_text()
        assert "anna@example.ru" in sent and "Возврат" in sent
        await page.screenshot(path=ARTIFACTS / "ticket-bounced-email.png", full_page=True)

        await page.goto(f"{base}/")
        await page.click("#alerts button:has-text('Прочитано')")
        await page.wait_for_url(f"{base}/")
        assert await page.locator("#alerts").count() == 0
    for name in ("manager-alert.png", "ticket-bounced-email.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000, name
