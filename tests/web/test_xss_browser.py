"""No script injected by a client, a platform update or a colleague ever runs on a staff page (Debian's chromium,
Playwright).

Complaints come in through the real intake, every text field carrying XSS payloads: the phone form filled in the
browser by the operator, the REST web feedback, a Telegram update and an e-mail with an attachment (both published
to INTAKE the way their channels do), and a Telegram update the normalizer refuses (so the quarantine shows its
content). The workers (`pipeline`) make them tickets. A manager then comments and writes to the client with the
payload through the review actions. Each role of the directory logs in and opens every staff page: start page,
tickets, history, search (with a payload as the query), phone search, quarantine, scans, letters, recommendations,
submissions.

On each page: `window.__xss` stays undefined, no dialog (alert) fires, no page error, no CSP refusal in the console
(an escaped payload is never parsed as markup, so the policy is never even tested), no request for the `src=x` of
an injected <img>, and the Content-Security-Policy header forbids inline script. The payload IS shown as text on
the ticket page, so the test fails if it were not rendered at all; and a script element added to the page at run
time does not run (the CSP blocks inline script).
"""

from __future__ import annotations

import email.message
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, ConsoleMessage, Dialog, Page, Request, Response, async_playwright
from sqlalchemy import func, select

from channels.blobs import FileBlobStore
from channels.email.submission import mail_native_id, store_mail
from channels.telegram import parse as tg_parse
from router.models import Submission, Ticket
from tests.support.waiting import eventually
from tests.web.conftest import API_TOKEN
from tests.web.factories import add_client, add_staff
from tests.web.test_operator_browser import CHROMIUM, CHROMIUM_ARGS, TICKET_NUMBER, log_in, serving
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.app.worker_set import WorkerSet
from workers.bus.publish import publish_submission

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]

SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=1;alert(1)">'
SVG = '"><svg onload=window.__xss=1>'
LINK = '<a href="javascript:window.__xss=1">ссылка</a> javascript:window.__xss=1'
BIDI = "\u202e\u200b<img src=x onerror=alert(2)>\u2066'\u200d"
PAYLOAD = f"{SCRIPT}{IMG}{SVG}{LINK}{BIDI}"
SHORT = f"{SCRIPT}{IMG}"  # for fields capped at 64 characters
BOT_ID = 4242
CLIENT_PHONE = "+79161234567"

# login, role, department (tests/support/directory.py and tests/web/factories.py name the same roles).
STAFF = (
    ("xss.op", "operator", "call_centre"),
    ("xss.mgr", "manager", "subscriber"),
    ("xss.head", "subscriber_head", "subscriber"),
    ("xss.tech", "department_head", "technical"),
    ("xss.dir", "director", "management"),
    ("xss.admin", "admin", "it"),
)


@dataclass
class Watch:
    """What a page did that an injected script would cause."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    injected_requests: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.csp.append(message.text)

    def on_request(self, request: Request) -> None:
        if request.url.rstrip("/").endswith("/x"):
            self.injected_requests.append(request.url)

    def assert_clean(self, where: str) -> None:
        assert not self.dialogs, f"a dialog fired ({where}): {self.dialogs}"
        assert not self.errors, f"page error ({where}): {self.errors}"
        assert not self.csp, f"CSP refused something: injected markup was parsed ({where}): {self.csp}"
        assert not self.injected_requests, f"an injected <img> was loaded ({where}): {self.injected_requests}"


@asynccontextmanager
async def watched_session(browser: Browser, base: str, login: str) -> AsyncIterator[tuple[Page, Watch]]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    watch = Watch()
    try:
        page = await context.new_page()
        page.set_default_timeout(15_000)

        async def dialog(d: Dialog) -> None:
            watch.dialogs.append(f"{d.type}: {d.message}")
            await d.dismiss()

        page.on("dialog", dialog)
        page.on("console", watch.on_console)
        page.on("pageerror", lambda error: watch.errors.append(str(error)))
        page.on("request", watch.on_request)
        await log_in(page, base, login)
        yield page, watch
    finally:
        await context.close()


async def visit(page: Page, watch: Watch, url: str) -> Response | None:
    response = await page.goto(url)
    assert response is not None, url
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, f"{url}: CSP {policy!r}"
    assert await page.evaluate("() => typeof window.__xss") == "undefined", f"injected script ran on {url}"
    watch.assert_clean(url)
    return response


async def file_phone_complaint(browser: Browser, base: str, client_id: int) -> str:
    async with watched_session(browser, base, "xss.op") as (page, watch):
        await visit(page, watch, f"{base}/phone/new?client_id={client_id}")
        await page.fill("#caller_name", f"Звонящий {PAYLOAD}"[:200])
        await page.fill("#subject", f"Тема {PAYLOAD}"[:300])
        await page.fill("#text", f"Текст звонка {PAYLOAD}")
        await page.click("#submit-complaint")
        number_link = page.locator("#ticket-number")
        await number_link.wait_for(timeout=45_000)
        number = (await number_link.inner_text()).strip()
        assert TICKET_NUMBER.fullmatch(number), number
        watch.assert_clean("phone form")
        return number


async def send_web_feedback(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {API_TOKEN}"}) as client:
        response = await client.post("/api/v1/feedback", headers={"Idempotency-Key": uuid.uuid4().hex}, json={
            "text": f"Веб-обращение {PAYLOAD}", "subject": f"Веб {PAYLOAD}"[:300], "name": f"Имя {PAYLOAD}"[:200],
            "email": "xss.web@example.ru", "contract_number": SHORT[:64], "category": SHORT[:64],
        })
        assert response.status_code == 202, response.text


async def send_telegram(pipeline: WorkerSet, update_id: int, message: dict[str, object]) -> None:
    raw = tg_parse.raw_submission(BOT_ID, {"update_id": update_id, "message": message}, datetime.now(UTC))
    await publish_submission(pipeline.broker, raw)


async def send_mail(pipeline: WorkerSet, settings: Settings) -> None:
    msg = email.message.EmailMessage()
    msg["From"] = email.headerregistry.Address(display_name=f"Отправитель {SCRIPT}", addr_spec="xss.mail@example.ru")
    msg["To"] = "claims@claims.example.ru"
    msg["Subject"] = f"Письмо {PAYLOAD}"
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@example.ru>"
    msg.set_content(f"Письмо клиента {PAYLOAD}\n")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename=f"{SVG}{IMG}.pdf")
    blobs = FileBlobStore(settings.effective_blob_dir)
    raw = store_mail(blobs, msg.as_bytes(), native_id=mail_native_id("claims", 1, 1), received_at=datetime.now(UTC))
    await publish_submission(pipeline.broker, raw)


async def ticket_count(database: Database) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Ticket)) or 0)


async def act(page: Page, action: str, **fields: str) -> None:
    form = page.locator(f"#action-{action}")
    await form.locator("summary").click()
    for name, value in fields.items():
        await form.locator(f"[name={name}]").fill(value)
    async with page.expect_navigation():
        await form.locator("button[type=submit]").click()
    await page.locator(".notice", has_text="Выполнено").wait_for()


async def test_no_injected_script_runs_on_any_staff_page(app: FastAPI, database: Database, pipeline: WorkerSet,
                                                         settings: Settings) -> None:
    for login, role, department in STAFF:
        await add_staff(database, login, role=role, department=department, name=f"Сотрудник {login}")
    client = await add_client(database, "12-345678", f"Клиент {SCRIPT}{IMG}", phones=(CLIENT_PHONE,),
                              packages=["Комфорт"], emails=("xss.client@example.ru",), manager_login="xss.mgr")

    async with serving(app) as base, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            phone_number = await file_phone_complaint(browser, base, client.id)
            await send_web_feedback(base)
            sender = {"id": 5551, "is_bot": False, "first_name": f"Имя {SCRIPT}", "last_name": IMG,
                      "username": "xss_user"}
            await send_telegram(pipeline, 1, {
                "message_id": 10, "chat": {"id": 5551, "type": "private"}, "from": sender,
                "text": f"Телеграм {PAYLOAD}",
                "document": {"file_id": f"file-{SVG}", "file_name": f"{IMG}.pdf"},
            })
            # No sender: the normalizer refuses it, and the quarantine page shows its content.
            await send_telegram(pipeline, 2, {"message_id": 11, "chat": {"id": 5551, "type": "private"},
                                              "text": f"Карантин {PAYLOAD}"})
            await send_mail(pipeline, settings)
            await eventually(lambda: _at_least(database, 4), within=45)
            async with database.sessions() as session:
                numbers = list(await session.scalars(select(Ticket.number).order_by(Ticket.id)))
                submissions = list(await session.scalars(select(Submission.id).order_by(Submission.received_at)))

            # A colleague's comment and a message to the client carry the payload too (the review actions).
            async with watched_session(browser, base, "xss.mgr") as (page, watch):
                await visit(page, watch, f"{base}/tickets/{phone_number}")
                await act(page, "comment", note=f"Комментарий {PAYLOAD}")
                await act(page, "write_to_client", text=f"Ответ клиенту {PAYLOAD}")
                watch.assert_clean("review actions")

            pages = ["/", "/search?q=" + quote(PAYLOAD), "/phone?q=" + quote(PAYLOAD),
                     f"/phone/new?client_id={client.id}", "/recommendations", "/letters", "/scans",
                     "/scans/upload", "/quarantine", *(f"/tickets/{n}" for n in numbers),
                     *(f"/submissions/{s}" for s in submissions)]
            seen_as_text = False
            for login, _role, _department in STAFF:
                async with watched_session(browser, base, login) as (page, watch):
                    for path in pages:
                        response = await visit(page, watch, base + path)
                        if path == f"/tickets/{phone_number}" and response is not None and response.ok:
                            text = await page.locator("#ticket-text").inner_text()
                            assert SCRIPT in text and IMG in text, text  # rendered, as text
                            body = await page.locator("body").text_content() or ""  # as typed (no CSS case)
                            assert f"Тема {SCRIPT}" in body and f"Клиент {SCRIPT}{IMG}" in body, body
                            seen_as_text = True
                        if path == f"/tickets/{phone_number}" and login == "xss.mgr":
                            notes = await page.locator("#notes").inner_text()
                            assert f"Комментарий {SCRIPT}" in notes, notes
                            conversation = await page.locator("#conversation").inner_text()
                            assert f"Ответ клиенту {SCRIPT}" in conversation, conversation
                        if path == "/quarantine" and response is not None and response.ok:
                            shown = await page.locator("#shunted").text_content() or ""
                            assert "Карантин" in shown, shown
                    # The policy itself: an inline script added to the page at run time does not run.
                    await page.evaluate("""() => { const s = document.createElement('script');
                        s.textContent = 'window.__xss = 1'; document.body.appendChild(s); }""")
                    assert await page.evaluate("() => typeof window.__xss") == "undefined"
                    assert watch.csp, "the browser did not report the CSP refusing the inline script"
            assert seen_as_text, "no role saw the phone ticket's page"
        finally:
            await browser.close()


async def _at_least(database: Database, count: int) -> bool:
    return await ticket_count(database) >= count
