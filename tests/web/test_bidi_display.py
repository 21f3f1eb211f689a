"""A client's text with bidi override characters cannot turn what a staff page shows (issue 12, finding 10)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from router.models import Ticket
from tests.web.conftest import login
from tests.web.factories import add_client, add_staff, add_ticket
from workers.app.runtime import Database
from workers.web.templating import without_bidi_controls

pytestmark = pytest.mark.usefixtures("database_url")

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


async def test_the_ticket_page_shows_no_bidi_override(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "petrova", role="manager")
    client = await add_client(database, "Д-000123", "Иванов Иван Иванович", manager_login="petrova")
    await add_ticket(database, "C-2025-000001", client_id=client.id, assignee="petrova",
                     text="Счёт за \u202eвынретни\u202c неверный, \u2067договор\u2069 12-345678")
    async with database.sessions() as session, session.begin():
        await session.execute(update(Ticket).where(Ticket.number == "C-2025-000001")
                              .values(subject="Жалоба \u202eтаз\u202c"))
    await login(web, "petrova")

    page = await web.get("/tickets/C-2025-000001")

    assert page.status_code == 200
    assert not any(char in page.text for char in BIDI)
    assert "Счёт за вынретни неверный, договор 12-345678" in page.text
    assert "Жалоба таз" in page.text


def test_finalize_keeps_markup_and_other_values() -> None:
    from markupsafe import Markup

    shown = without_bidi_controls(Markup("<b>\u202eабв</b>"))
    assert isinstance(shown, Markup) and str(shown) == "<b>абв</b>"
    assert without_bidi_controls("a\u2066b\u2069c") == "abc"
    assert without_bidi_controls(42) == 42 and without_bidi_controls(None) is None
