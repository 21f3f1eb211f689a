"""The clocks on the pages: the manager's start page colours each ticket's nearest clock and says its working
time left (or the delay), sorted by the nearest due moment; the ticket page's «Сроки» shows every clock.

The pages read the real current time, so the due moments are seeded relative to now with the company
calendar (a few seconds' margin keeps the rounded-down texts exact however long the request takes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from router.calendar import BusinessCalendar
from router.models import Staff, Ticket
from router.passwords import hash_password
from router.timeutil import to_utc, utcnow
from tests.web.conftest import login
from tests.web.factories import seed_review_client, seed_review_staff, seed_review_ticket
from workers.app.runtime import Database
from workers.app.settings import Settings

# SQLite and a real PostgreSQL.
pytestmark = pytest.mark.usefixtures("database_url")

MANAGER = "m.petrova"
MARGIN = timedelta(seconds=30)
FINE, NEAR, BREACHED, LATE, CLOSED, PAUSED = (f"C-2026-00000{i}" for i in range(1, 7))


@dataclass(frozen=True)
class Seeded:
    now: datetime
    calendar: BusinessCalendar


def seed_clock_queue(session: Session, calendar: BusinessCalendar, now: datetime, *,
                     paused: bool = False) -> None:
    """The staff directory and m.petrova's tickets, each with its clocks relative to `now`:
    - FINE: first response due in 5 working hours (green: the warning is 2 working hours before);
    - NEAR: first response due in 1 working hour (amber);
    - BREACHED: first response due 3 working hours ago (red);
    - LATE: acknowledged 2 working hours after its first response was due; the resolution runs (green);
    - CLOSED: acknowledged and answered in time, closed;
    - PAUSED (optional): waiting for the client, the resolution clock paused.
    """
    seed_review_staff(session)
    session.flush()
    session.execute(update(Staff).values(password_hash=hash_password("secret-pass")))
    client = seed_review_client(session)

    def add(number: str, first_response_in: timedelta, **fields: object) -> Ticket:
        t = seed_review_ticket(session, number, client_id=client.id, assignee=MANAGER, **fields)
        t.created_at = to_utc(calendar.add_working_time(now, -timedelta(hours=6)))
        t.first_response_due = to_utc(calendar.add_working_time(now, first_response_in))
        t.resolution_due = to_utc(calendar.add_working_time(now, timedelta(hours=30) + MARGIN))
        t.legal_due = to_utc(now + timedelta(days=50))
        return t

    add(FINE, timedelta(hours=5) + MARGIN)
    add(NEAR, timedelta(hours=1) + MARGIN)
    add(BREACHED, -timedelta(hours=3))
    late = add(LATE, -timedelta(hours=5))
    late.acknowledged_at = to_utc(calendar.add_working_time(now, -timedelta(hours=3)))
    closed = add(CLOSED, -timedelta(hours=5), status="closed", stage="closed")
    closed.acknowledged_at = to_utc(calendar.add_working_time(now, -timedelta(hours=6)))
    closed.resolved_at = closed.closed_at = to_utc(calendar.add_working_time(now, -timedelta(hours=1)))
    if paused:
        waiting = add(PAUSED, -timedelta(hours=7), stage="deep_review", department="technical",
                      handler_login="h.technical", waiting_for_client=True)
        waiting.acknowledged_at = to_utc(calendar.add_working_time(now, -timedelta(hours=6)))
        waiting.paused_at = to_utc(now - timedelta(hours=1))
    session.flush()


@pytest.fixture
async def seeded(database: Database, settings: Settings) -> Seeded:
    now = utcnow()
    await database.run_transaction(lambda s: seed_clock_queue(s, settings.calendar, now))
    return Seeded(now, settings.calendar)


def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start:html.index("</section>", start)]


def _rows(html: str) -> dict[str, str]:
    """Each ticket row of a list by its number."""
    return {m.group(1): m.group(0) for m in re.finditer(r'<tr>\s*<td><a href="/tickets/([^"]+)">.*?</tr>', html, re.S)}


def _clock(row: str) -> tuple[str, str]:
    """The badge of a row or a clock: its css class and its text."""
    found = re.search(r'<span class="clock (clock-[a-z-]+)"[^>]*>([^<]+)</span>', row)
    assert found, row
    return found.group(1), found.group(2)


async def test_the_start_page_colours_the_managers_tickets(web: httpx.AsyncClient, seeded: Seeded) -> None:
    await login(web, MANAGER)
    home = await web.get("/")
    assert home.status_code == 200
    mine = _section(home.text, "my-tickets")
    rows = _rows(mine)
    # Open tickets only, by the nearest due moment: 3 h ago, in 1 h, in 5 h, the resolution in 30 h.
    assert list(rows) == [BREACHED, NEAR, FINE, LATE]
    assert _clock(rows[BREACHED]) == ("clock-breached", "просрочено на 3 раб. ч")
    assert _clock(rows[NEAR]) == ("clock-near", "осталось 1 раб. ч")
    assert _clock(rows[FINE]) == ("clock-ok", "осталось 5 раб. ч")
    # Acknowledged (late): the queue shows the running clock, the resolution: 30 working hours = 3 days of 9 h + 3 h.
    assert _clock(rows[LATE]) == ("clock-ok", "осталось 3 раб. дн. 3 ч")
    assert "первый ответ:" in rows[NEAR] and "рассмотрение:" in rows[LATE]
    assert seeded.calendar.hours.full_day == timedelta(hours=9)  # what the day count above assumes


@pytest.mark.parametrize(("number", "expected"), [
    (FINE, ("clock-ok", "осталось 5 раб. ч")),
    (NEAR, ("clock-near", "осталось 1 раб. ч")),
    (BREACHED, ("clock-breached", "просрочено на 3 раб. ч")),
    (LATE, ("clock-met-late", "с нарушением на 2 ч")),  # acknowledged 2 working hours after the due moment
    (CLOSED, ("clock-met", "выполнено в срок")),
])
async def test_the_ticket_page_shows_each_clock(
    web: httpx.AsyncClient, seeded: Seeded, number: str, expected: tuple[str, str]
) -> None:
    await login(web, MANAGER)
    page = await web.get(f"/tickets/{number}")
    assert page.status_code == 200
    clocks = _section(page.text, "clocks")
    first = clocks[clocks.index('id="clock-first_response"'):]
    first = first[:first.index("</dd>")]
    assert _clock(first) == expected
    for title in ("Первый ответ клиенту (8 рабочих часов)", "Рассмотрение (5 рабочих дней)",
                  "Предельный срок по 126-ФЗ (60 дней)"):
        assert title in clocks
    assert "Пересмотр после оспаривания" not in clocks  # no dispute


async def test_the_ticket_page_shows_the_stopped_and_the_running_clocks(
    web: httpx.AsyncClient, seeded: Seeded
) -> None:
    await login(web, MANAGER)
    clocks = _section((await web.get(f"/tickets/{CLOSED}")).text, "clocks")
    # Every clock of the closed ticket stopped in time; the legal limit (50 days ahead) too.
    assert clocks.count("выполнено в срок") == 3 and "clock-breached" not in clocks
    clocks = _section((await web.get(f"/tickets/{LATE}")).text, "clocks")
    assert "с нарушением на 2 ч" in clocks and "осталось 3 раб. дн. 3 ч" in clocks
    assert "осталось 50 дн." in clocks  # now + 50 days: 50 company dates ahead (Moscow has no DST)
    # The due moments are shown too, in company time.
    for moment in (seeded.now + timedelta(days=50),
                   seeded.calendar.add_working_time(seeded.now, timedelta(hours=30) + MARGIN)):
        assert moment.astimezone(seeded.calendar.tz).strftime("%d.%m.%Y %H:%M") in clocks
