"""«Проверка скана» and the post room's upload, with a real OCR (Tesseract) and a real browser: a letter
whose contract number is read one digit off waits for a person with the right client on top; confirming it
in the page sends the ticket to the personal manager. SQLite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from faststream.nats import NatsBroker
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from channels.base import Channel, RawSubmission
from channels.scan.submission import scan_submission
from normalizer import NormalizerConfig, normalize
from router.models import ScanReview, Staff, Ticket
from router.passwords import hash_password
from router.routing import route_event
from router.timeutil import utcnow
from tests.support.scans import PAGE_ONE, PAGE_TWO, clean_png
from tests.web.conftest import csrf_of, last_intake, login
from tests.web.factories import seed_review_client, seed_review_staff
from tests.web.test_operator_browser import CHROMIUM, chromium_page, log_in, serving
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.channels.registry import normalizer_steps
from workers.web import create_app

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The letter as the scanner saw it: its contract number is one digit off (1 read as 7).
MISREAD = (PAGE_ONE.replace("Договор № 12-000001", "Договор № 12-000007"), PAGE_TWO.replace("12-000001", "12-000007"))


def _seed(session: Session) -> int:
    seed_review_staff(session)
    session.flush()
    session.execute(update(Staff).values(password_hash=hash_password("secret-pass")))
    client = seed_review_client(session, "12-000001", "Белова Анастасия Дмитриевна", manager_login="m.petrova")
    seed_review_client(session, "12-000002", "Сидоров Пётр Петрович", manager_login="m.volkov")
    return client.id


async def scanned(database: Database, settings: Settings) -> tuple[str, int]:
    """The misread letter through OCR, the normalizer and routing: (its ticket number, the right client)."""
    client_id = await database.run_transaction(_seed)
    raw = await scan_submission(settings.blobs, clean_png(MISREAD), source="upload", filename="letter.png",
                                received_at=utcnow(), channel=Channel.POST, config=settings.scan)
    event = normalize(raw, config=NormalizerConfig.from_settings(settings), channel_steps=normalizer_steps(),
                      blobs=settings.blobs)
    result = await database.run_transaction(lambda s: route_event(s, event, settings.calendar, utcnow()))
    assert result.ticket_number is not None
    return result.ticket_number, client_id


async def review_of(database: Database, number: str) -> tuple[Ticket, ScanReview]:
    def read(session: Session) -> tuple[Ticket, ScanReview]:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        review = session.scalar(select(ScanReview).where(ScanReview.ticket_id == ticket.id))
        assert review is not None
        return ticket, review
    return await database.run_transaction(read)


async def test_a_misread_number_waits_with_the_right_client_on_top_and_a_person_confirms_it(
    web: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    number, client_id = await scanned(database, settings)
    ticket, review = await review_of(database, number)
    assert (ticket.client_id, ticket.assignee_login, review.status) == (None, None, "pending")
    assert review.candidates[0]["client_id"] == client_id
    assert review.fields["sender_name"] == "Белова Анастасия Дмитриевна"

    await login(web, "h.technical")  # a department head does not verify scans
    assert (await web.get("/scans")).status_code == 403
    web.cookies.clear()
    await login(web, "op.anna")
    queue = await web.get("/scans")
    assert queue.status_code == 200 and number in queue.text
    page = await web.get(f"/scans/{number}")
    assert "Белова Анастасия Дмитриевна" in page.text and "договор 12-000001" in page.text
    image = await web.get(f"/scans/{number}/pages/1")
    assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert (await web.get(f"/scans/{number}/pages/9")).status_code == 404
    done = await web.post(f"/scans/{number}/confirm", data={"csrf_token": csrf_of(page.text),
                                                           "client_id": str(client_id)})
    assert done.status_code == 303
    ticket, review = await review_of(database, number)
    assert (ticket.client_id, ticket.assignee_login, ticket.stage) == (client_id, "m.petrova", "primary_review")
    assert (review.status, review.confirmed_by) == ("confirmed", "op.anna")
    assert (await web.get(f"/scans/{number}")).status_code == 200  # still viewable, no longer in the queue
    assert number not in (await web.get("/scans")).text


pytestmark_browser = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")


@pytestmark_browser
@pytest.mark.browser
async def test_confirming_in_the_browser_sends_the_ticket_to_the_manager(
    app: FastAPI, database: Database, settings: Settings
) -> None:
    number, client_id = await scanned(database, settings)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with serving(app) as base, chromium_page() as page:
        await log_in(page, base, "op.anna")
        await page.click("a[href='/scans']")
        await page.click(f"a[href='/scans/{number}']")
        first = page.locator("#scan-confirm input[name=client_id]").first
        assert await first.get_attribute("value") == str(client_id) and await first.is_checked()
        await page.locator("#scan-pages img").first.wait_for(state="visible")
        await page.screenshot(path=SCREENSHOTS / "scan-verify.png", full_page=True)
        await page.click("#scan-confirm button[type=submit]")
        await page.wait_for_url(f"{base}/scans")
        assert "передана персональному менеджеру" in await page.inner_text("body")
    ticket, _ = await review_of(database, number)
    assert (ticket.assignee_login, ticket.stage) == ("m.petrova", "primary_review")


async def test_the_post_room_uploads_a_letter(web: httpx.AsyncClient, database: Database, broker: NatsBroker,
                                              settings: Settings, app: FastAPI) -> None:
    await database.run_transaction(_seed)
    await login(web, "m.petrova")
    assert (await web.post("/scans/upload", content=b"x" * 1000)).status_code == 403  # before the body is read
    web.cookies.clear()
    await login(web, "op.anna")
    form = await web.get("/scans/upload")
    files = {"file": ("letter.png", clean_png(), "image/png")}
    data: dict[str, Any] = {"csrf_token": csrf_of(form.text), "envelope_sender": "Белова А. Д., г. Москва",
                            "received_date": "2026-03-16", "channel": "post"}
    done = await web.post("/scans/upload", files=files, data=data)
    assert done.status_code == 303 and done.headers["location"].startswith("/submissions/")
    published = await last_intake(broker, "post")
    assert published is not None
    raw = RawSubmission.model_validate_json(published)
    assert raw.operator_id == "op.anna" and raw.payload["envelope_sender"] == "Белова А. Д., г. Москва"
    assert "12-000001" in "\n".join(p["text"] for p in raw.payload["pages"])
    bad = await web.post("/scans/upload", files={"file": ("empty.pdf", b"", "application/pdf")}, data=data)
    assert bad.status_code == 422 and "пустой файл" in bad.text


async def test_an_upload_over_the_cap_is_refused_while_it_streams(
    settings: Settings, database: Database, broker: NatsBroker
) -> None:
    small = settings.model_copy(update={"scan": settings.scan.model_copy(update={"max_bytes": 10_000})})
    app = create_app(small, database, broker)
    await database.run_transaction(_seed)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as web:
        await login(web, "op.anna")
        form = await web.get("/scans/upload")
        files = {"file": ("big.png", b"\x89PNG" + b"0" * 200_000, "image/png")}
        refused = await web.post("/scans/upload", files=files, data={"csrf_token": csrf_of(form.text)})
    assert refused.status_code == 413 and "слишком большой" in refused.text
