"""Answers by letter: a post-channel answer for a client with no electronic contact becomes a Russian business
letter (PDF in the blob store, DejaVu embedded) queued for the post room, once per outbox id.

The first page is rendered to docs/screenshots/letter.png (pdftoppm) for the docs."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from router.contracts import OutboundKind, OutboundMessage
from router.models import CallbackTask, Client, Delivery, OutgoingLetter
from router.texts import Signer, staff_letter
from tests.web.factories import add_client, add_staff, add_ticket
from tests.workers.test_answer_routes import RecordingPlatform
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.channels.senders.base import Contact, Reply
from workers.channels.senders.letter import NO_ADDRESS, QUEUED, LetterSender
from workers.channels.senders.selection import Senders
from workers.letters.config import LetterheadConfig
from workers.letters.render import render_letter_pages
from workers.stages.deliver import plan_batch

pytestmark = [
    pytest.mark.usefixtures("database_url"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext, pdffonts) not installed"),
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
NUMBER = "C-2026-000010"
MANAGER = "Петрова Мария Ивановна"
CLIENT = "Иванов Иван Иванович"
BODY = (
    f"Мы рассмотрели вашу претензию {NUMBER}.\nПретензия признана обоснованной.\n\n"
    "С 3 по 5 ноября на вашем адресе не было интернета из-за аварии на магистральной линии. Стоимость трёх "
    "дней услуги «Домашний интернет» будет возвращена на ваш лицевой счёт в течение 10 рабочих дней. "
    "Приносим извинения за доставленные неудобства."
)
ANSWER = staff_letter("Иван Иванович", BODY, Signer(MANAGER, "manager"))


def answer(outbox_id: int, client_id: int | None, number: str = NUMBER) -> OutboundMessage:
    return OutboundMessage(outbox_id=outbox_id, kind=OutboundKind.ANSWER, channel="post", ticket_number=number,
                           client_id=client_id, in_reply_to=None, text=ANSWER)


async def seed(database: Database, *, address: str | None = "г. Москва, ул. Примерная, д. 1",
               preferred: str | None = None) -> tuple[int, int]:
    """A post ticket of a client with a postal address and no electronic contact, held by a manager."""
    await add_staff(database, "m.petrova", role="manager", name=MANAGER)
    client = await add_client(database, "12-000001", CLIENT, manager_login="m.petrova")
    async with database.sessions() as session, session.begin():
        await session.execute(update(Client).where(Client.id == client.id).values(
            address=address, preferred_channel=preferred))
    ticket = await add_ticket(database, NUMBER, client_id=client.id, assignee="m.petrova", channel="post")
    return client.id, ticket.id


def poppler(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def pdf_text(path: Path) -> str:
    return poppler("pdftotext", "-layout", str(path), "-")


async def test_a_post_answer_without_electronic_contact_becomes_a_letter(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    client_id, _ = await seed(database, address="125009, г. Москва,\nул. Тверская, д. 7, кв. 15")
    senders = Senders.from_settings(settings)
    plan = await database.run_transaction(lambda s: plan_batch(s, [answer(101, client_id)], senders))
    assert plan.statuses == {0: "letter"} and not plan.platform

    async with database.sessions() as session:
        letter = (await session.scalars(select(OutgoingLetter))).one()
        delivery = (await session.scalars(select(Delivery))).one()
        assert not (await session.scalars(select(CallbackTask))).all()
    assert (letter.outbox_id, letter.recipient, letter.status, letter.pages) == (101, CLIENT, "pending", 1)
    assert letter.address == "125009, г. Москва,\nул. Тверская, д. 7, кв. 15"
    assert (delivery.channel, delivery.status, delivery.detail) == ("letter", "letter", QUEUED)

    pdf = settings.blobs.get(letter.blob_key)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    text = " ".join(pdf_text(path).split())
    for expected in (NUMBER, f"На претензию № {NUMBER}", "Исх. № П-101 от", CLIENT, "125009, г. Москва,",
                     "ул. Тверская, д. 7, кв. 15", MANAGER, "Персональный менеджер", "Здравствуйте, Иван Иванович!",
                     "Претензия признана обоснованной.", "Домашний интернет", "ИНН", "ОГРН",
                     "заполните в настройках"):
        assert expected in text, expected
    assert text.count(MANAGER) == 1  # the text's own signature, no second signer block
    assert "Страница" not in text  # one page: no page numbers

    fonts = poppler("pdffonts", str(path))
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert {row[0].split("+")[-1] for row in rows} == {"DejaVuSans", "DejaVuSans-Bold"}
    assert all(row[-5] == "yes" for row in rows), fonts  # emb

    if shutil.which("pdftoppm"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        poppler("pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", str(path),
                str(SCREENSHOTS / "letter"))
        assert (SCREENSHOTS / "letter.png").stat().st_size > 10_000


async def test_one_letter_per_reply(database: Database, settings: Settings) -> None:
    client_id, ticket_id = await seed(database)
    senders = Senders.from_settings(settings)
    first = await database.run_transaction(lambda s: plan_batch(s, [answer(7, client_id), answer(7, client_id)],
                                                                senders))
    again = await database.run_transaction(lambda s: plan_batch(s, [answer(7, client_id)], senders))
    assert first.statuses == {0: "letter", 1: "duplicate"} and again.statuses == {0: "duplicate"}
    # The sender itself is idempotent too (a reply whose delivery row is missing is not queued twice).
    sender = LetterSender(settings.blobs, LetterheadConfig())
    reply = Reply(answer(7, client_id), Contact(client_id, None), ticket_id)
    direct = await database.run_transaction(lambda s: sender.record(s, [reply]))
    assert [result.status for result in direct] == ["letter"]
    async with database.sessions() as session:
        assert len((await session.scalars(select(OutgoingLetter.id))).all()) == 1
        assert len((await session.scalars(select(Delivery.id))).all()) == 1


async def test_a_client_without_an_address_gets_no_letter(database: Database, settings: Settings) -> None:
    client_id, _ = await seed(database, address="  ")
    senders = Senders.from_settings(settings)
    plan = await database.run_transaction(lambda s: plan_batch(s, [answer(8, client_id), answer(9, None)], senders))
    assert plan.statuses == {0: "failed", 1: "failed"}
    async with database.sessions() as session:
        assert not (await session.scalars(select(OutgoingLetter.id))).all()
        details = (await session.execute(select(Delivery.channel, Delivery.address, Delivery.detail))).all()
    assert [tuple(row) for row in details] == [("letter", None, NO_ADDRESS)] * 2


async def test_a_client_who_prefers_email_gets_no_letter(database: Database, settings: Settings) -> None:
    client_id, _ = await seed(database, preferred="email")
    email: Any = RecordingPlatform()  # a PlatformSender by its shape
    senders = Senders({"email": email}, LetterSender(settings.blobs))
    plan = await database.run_transaction(lambda s: plan_batch(s, [answer(10, client_id)], senders))
    assert [work.sender is email for work in plan.platform] == [True] and plan.statuses == {}
    async with database.sessions() as session:
        assert not (await session.scalars(select(OutgoingLetter.id))).all()


def test_a_long_letter_has_page_numbers_and_a_signer_block_when_the_text_has_none(tmp_path: Path) -> None:
    long_text = "Здравствуйте!\n\n" + "\n".join(f"{i}. Подробности проверки начислений по договору." * 4
                                                for i in range(1, 80))
    letter = render_letter_pages(
        LetterheadConfig(), client_name="ООО «Ромашка»", client_address="г. Тверь, ул. Советская, д. 1",
        ticket_number=NUMBER, outgoing_number="П-1", date=date(2026, 12, 3), text=long_text,
        signer_name=MANAGER, signer_position="Персональный менеджер",
    )
    assert letter.pages > 1
    path = tmp_path / "long.pdf"
    path.write_bytes(letter.pdf)
    text = " ".join(pdf_text(path).split())
    assert f"Страница 1 из {letter.pages}" in text and f"Страница {letter.pages} из {letter.pages}" in text
    assert f"С уважением, {MANAGER} Персональный менеджер" in text  # added: the text had no signature
    assert "Исх. № П-1 от 03.12.2026" in text


def test_a_font_of_the_same_name_registered_elsewhere_keeps_the_bold_face(tmp_path: Path) -> None:
    """reportlab's font mapping is process-global: another registration of "DejaVuSans" (a test helper, a
    library) must not leave the letter without its bold face."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    def fonts() -> set[str]:
        pdf = render_letter_pages(LetterheadConfig(), client_name="Иванов Иван Иванович", client_address="Москва",
                                  ticket_number="C-2026-000001", outgoing_number="П-1", date=date(2026, 12, 3),
                                  text="Здравствуйте!\n\nОтвет.", signer_name="Петрова Мария Ивановна",
                                  signer_position="Персональный менеджер").pdf
        path = tmp_path / "letter.pdf"
        path.write_bytes(pdf)
        rows = [line.split() for line in poppler("pdffonts", str(path)).splitlines()[2:] if line.strip()]
        return {row[0].split("+")[-1] for row in rows}

    assert fonts() == {"DejaVuSans", "DejaVuSans-Bold"}
    pdfmetrics.registerFont(TTFont("DejaVuSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    assert fonts() == {"DejaVuSans", "DejaVuSans-Bold"}
