"""A manager's queue in a real browser (Debian's chromium, Playwright): the three colours of the clocks, with
a screenshot on a desktop and on a 390 px phone (docs/screenshots/sla-queue*.png)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.async_api import Page, async_playwright

from router.timeutil import utcnow
from tests.web.test_clock_pages import BREACHED, FINE, MANAGER, NEAR, PAUSED, seed_clock_queue
from tests.web.test_operator_browser import CHROMIUM, CHROMIUM_ARGS, log_in, serving
from workers.app.runtime import Database
from workers.app.settings import Settings

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]

# The colour each state is drawn in (style.css), as the browser computes it.
COLOURS = {"clock-ok": "rgb(23, 101, 58)", "clock-near": "rgb(122, 74, 0)", "clock-breached": "rgb(161, 34, 27)"}


async def badge(page: Page, number: str) -> tuple[str, str, str]:
    """The clock badge in the ticket's row of «Мои открытые претензии»: its class, text and text colour."""
    row = page.locator("#my-tickets tr", has=page.locator(f"a[href='/tickets/{number}']"))
    clock = row.locator(".clock")
    await clock.wait_for(state="visible")
    state = next(c for c in (await clock.get_attribute("class") or "").split() if c.startswith("clock-"))
    colour = await clock.evaluate("e => getComputedStyle(e).color")
    return state, (await clock.inner_text()).strip(), colour


async def test_the_managers_queue_shows_the_three_colours(app: FastAPI, database: Database,
                                                          settings: Settings) -> None:
    now = utcnow()
    await database.run_transaction(lambda s: seed_clock_queue(s, settings.calendar, now, paused=True))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    async with serving(app) as base, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for width, name in ((1280, "sla-queue"), (390, "sla-queue-mobile")):
                context = await browser.new_context(viewport={"width": width, "height": 900}, locale="ru-RU")
                try:
                    page = await context.new_page()
                    page.set_default_timeout(15_000)
                    await log_in(page, base, MANAGER)
                    expected = {
                        BREACHED: ("clock-breached", "просрочено на 3 раб. ч"),
                        NEAR: ("clock-near", "осталось 1 раб. ч"),
                        FINE: ("clock-ok", "осталось 5 раб. ч"),
                    }
                    for number, (state, text) in expected.items():
                        assert await badge(page, number) == (state, text, COLOURS[state]), (width, number)
                    paused = await badge(page, PAUSED)
                    assert paused[:2] == ("clock-paused", "приостановлен (ждём ответа клиента)")
                    # On the phone the rows are blocks: nothing to scroll sideways to.
                    overflow = await page.evaluate(
                        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
                    assert overflow <= 0, (width, overflow)
                    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
                finally:
                    await context.close()
        finally:
            await browser.close()

    for name in ("sla-queue", "sla-queue-mobile"):
        assert (SCREENSHOTS / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
