"""A flooded ticket in a real browser (Debian's chromium, Playwright): the card says it shows the latest rows, and
its link shows every one (docs/screenshots/ticket-flood.png)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.web.test_operator_browser import CHROMIUM, chromium_page, log_in, serving
from tests.web.test_ticket_flood import FOLLOW_UPS, flooded_ticket
from workers.app.runtime import Database
from workers.web.latest_rows import SHOWN_ROWS

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "ticket-flood.png"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]


async def test_the_notice_and_its_link(app: FastAPI, database: Database) -> None:
    await flooded_ticket(database)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    async with serving(app) as base, chromium_page() as page:
        await log_in(page, base, "petrova")
        await page.goto(f"{base}/tickets/C-2025-000001")
        notice = page.locator("#history .cut-notice")
        assert await notice.inner_text() == f"Показаны последние {SHOWN_ROWS} из {FOLLOW_UPS + 3}. Показать все"
        assert await page.locator("#conversation li").count() == SHOWN_ROWS
        await page.evaluate("document.querySelector('#conversation').scrollIntoView()")
        await page.screenshot(path=SCREENSHOT)

        await page.locator("#conversation .cut-notice a").click()
        await page.wait_for_url(f"{base}/tickets/C-2025-000001?all=1#conversation")
        assert await page.locator("#conversation li").count() == 2 * FOLLOW_UPS
        assert await page.locator(".cut-notice").count() == 0
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
