"""The notify stage: a staff alert's notice is emailed once (real aiosmtpd on loopback), or recorded with the
reason it was not (no SMTP, no address, a refused address); an SMTP 4xx is retried."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from channels.email.config import SmtpConfig
from router.alerts import staff_notice
from router.models import Delivery, Staff
from tests.support.smtp import SmtpServer, smtp_server
from workers.app.runtime import Database
from workers.stages.notify import NoticeUnavailable, handle

pytestmark = pytest.mark.usefixtures("database_url")
DIRECTOR = "d.director@example.ru"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def config(smtp: SmtpServer) -> SmtpConfig:
    return SmtpConfig(host=smtp.host, port=smtp.port, start_tls=False, timeout=5.0,
                      from_address="claims@example.ru", message_id_domain="claims.example.ru")


@pytest.fixture
async def staffed(database: Database) -> Database:
    async with database.sessions() as session, session.begin():
        session.add_all([
            Staff(login="d.director", name="Белов Сергей", role="director", department="management", active=True,
                  email=DIRECTOR),
            Staff(login="m.noemail", name="Петрова Мария", role="manager", department="subscriber", active=True),
        ])
    return database


def notice(outbox_id: int, login: str = "d.director"):  # type: ignore[no-untyped-def]
    return staff_notice(login, "dispute", "C-2026-000001",
                        "Решение по претензии C-2026-000001 оспорено (клиент): требуется пересмотр"
                        ).model_copy(update={"outbox_id": outbox_id})


async def deliveries(database: Database) -> list[tuple[int, str, str, str | None]]:
    async with database.sessions() as session:
        rows = (await session.execute(select(Delivery.outbox_id, Delivery.channel, Delivery.status,
                                             Delivery.address).order_by(Delivery.outbox_id))).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_notice_is_mailed_once_to_the_staff_member(staffed: Database, smtp: SmtpServer) -> None:
    assert await handle(notice(11), staffed, config(smtp)) == "sent"
    assert await handle(notice(11), staffed, config(smtp)) == "duplicate"  # redelivered: not mailed again
    [mail] = smtp.received
    assert mail.rcpt_tos == [DIRECTOR]
    assert mail.message["Subject"] == "Оспаривание решения: C-2026-000001"
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert "требуется пересмотр" in mail.message.get_content()
    assert await deliveries(staffed) == [(11, "staff_email", "sent", DIRECTOR)]


async def test_without_smtp_or_address_the_notice_is_recorded_as_not_sent(staffed: Database,
                                                                          smtp: SmtpServer) -> None:
    assert await handle(notice(21), staffed, None) == "suppressed"
    assert await handle(notice(22, "m.noemail"), staffed, config(smtp)) == "suppressed"
    assert await handle(notice(23, "nobody"), staffed, config(smtp)) == "suppressed"
    assert smtp.received == []
    async with staffed.sessions() as session:
        details = (await session.scalars(select(Delivery.detail).order_by(Delivery.outbox_id))).all()
    assert details[0] == "SMTP не настроен: уведомление только в системе"
    assert details[1] == details[2] == "у сотрудника нет адреса электронной почты"


async def test_a_refused_address_fails_and_a_busy_server_is_retried(staffed: Database, smtp: SmtpServer) -> None:
    smtp.refuse(DIRECTOR, "451 4.3.0 try later", times=1)
    with pytest.raises(NoticeUnavailable):
        await handle(notice(31), staffed, config(smtp))
    assert await deliveries(staffed) == []  # nothing recorded: the stage naks it and it comes back
    assert await handle(notice(31), staffed, config(smtp)) == "sent"
    smtp.refuse(DIRECTOR, "550 5.1.1 no such user")
    assert await handle(notice(32), staffed, config(smtp)) == "failed"
    assert [row[2] for row in await deliveries(staffed)] == ["sent", "failed"]
