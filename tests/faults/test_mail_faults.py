"""The email channel against a real dovecot and a real SMTP server (aiosmtpd) with the gateway in processes.

- dovecot restarted twice while the email intake waits in IDLE, mail delivered into the maildir while the IMAP
  server is down and appended right after it is back: the intake reconnects, every mail becomes exactly one
  submission and one ticket, all marked \\Seen, every client answered once;
- the SMTP relay refusing a reply with 451 three times: retried with the backoff (the gaps measured), sent once;
- the relay refusing a reply with 550: recorded on the ticket (delivery "failed", a history entry) and tried once.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from router.models import Delivery, Submission, Ticket, TicketHistory
from tests.channels.email.conftest import mail
from tests.faults.outage_support import GatewayProcess, gateway_env, shunt_reader, start_gateway
from tests.support.directory import IVANOV, SIDOROVA, SMIRNOV
from tests.support.dovecot import DovecotServer, start_dovecot
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.waiting import eventually
from workers.app.runtime import Database

pytestmark = [pytest.mark.faults, pytest.mark.imap]

BACKOFF = [1.0, 2.0, 4.0]
MAX_DELIVER = 6


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    server = start_dovecot()
    yield server
    server.cleanup()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def gateway(dovecot: DovecotServer, smtp: SmtpServer, data_dir: Path, nats_url: str, database: Database,
            tmp_path: Path) -> Iterator[GatewayProcess]:
    """Every worker and the email intake in one `complaints worker` process."""
    mailbox = {"name": "claims", "host": dovecot.host, "port": dovecot.port, "ssl": False, "username": "claims",
               "password": dovecot.users["claims"], "poll_interval": 0.5}
    relay = {"host": smtp.host, "port": smtp.port, "start_tls": False, "timeout": 5.0,
             "from_address": "claims@operator.ru", "message_id_domain": "claims.operator.ru"}
    env = gateway_env(data_dir, nats_url, email_mailboxes=[mailbox], smtp=relay, max_deliver=MAX_DELIVER,
                      retry_backoff=BACKOFF, ack_wait=15)
    process = start_gateway(["worker", "normalize", "route", "relay", "deliver", "email"], env,
                            tmp_path / "gateway.log")
    yield process
    process.stop()


def deliver_to_maildir(dovecot: DovecotServer, raw: bytes) -> None:
    """What the MTA does while the IMAP server is down: the mail lands in the maildir's new/."""
    new = dovecot.base / "mail" / "claims" / "new"
    assert new.is_dir(), "the mailbox was never opened"
    name = f"{time.time():.0f}.M{uuid.uuid4().hex[:12]}P{os.getpid()}.fault-suite"
    tmp = new.parent / "tmp" / name
    tmp.write_bytes(raw)
    if os.geteuid() == 0:
        shutil.chown(tmp, "dovecot")
    tmp.rename(new / name)


async def email_rows(database: Database) -> list[tuple[str | None, int | None]]:
    async with database.sessions() as session:
        rows = await session.execute(select(Submission.content_id, Submission.ticket_id)
                                     .where(Submission.channel == "email"))
        return [(row.content_id, row.ticket_id) for row in rows]


async def tickets(database: Database) -> int:
    async with database.sessions() as session:
        return len((await session.scalars(select(Ticket.id))).all())


def message(n: int, phase: str) -> tuple[bytes, str]:
    message_id = f"fault-{phase}-{n}-{uuid.uuid4().hex[:8]}@client.example.org"
    raw = mail(subject=f"Нет интернета ({phase} {n})", body=f"Письмо {phase} {n}: второй день нет интернета.",
               sender=f"client.{phase}.{n}@example.org", message_id=message_id)
    return raw, message_id


async def test_imap_restarts_lose_and_double_nothing(
    dovecot: DovecotServer, smtp: SmtpServer, gateway: GatewayProcess, database: Database, nats_url: str
) -> None:
    sent: list[str] = []

    async def append(n: int, phase: str) -> None:
        raw, message_id = message(n, phase)
        await dovecot.append_async(raw)
        sent.append(message_id)

    async def handed_on() -> bool:
        return len(await email_rows(database)) >= len(sent)

    for n in range(3):
        await append(n, "before")
    await eventually(handed_on, within=90, every=0.3)

    # Down for 6 s while the intake waits in IDLE; three mails arrive meanwhile, three more right after.
    started = time.monotonic()
    await asyncio.to_thread(dovecot.stop)
    for n in range(3):
        raw, message_id = message(n, "during")
        deliver_to_maildir(dovecot, raw)
        sent.append(message_id)
    await asyncio.sleep(6.0)
    await asyncio.to_thread(dovecot.start)
    for n in range(3):
        await append(n, "after")

    # A second restart at once, with two mails appended just before it (fetched before or after: once).
    for n in range(2):
        await append(n, "second")
    await asyncio.to_thread(dovecot.restart)
    await eventually(handed_on, within=90, every=0.3)
    recovered = time.monotonic() - started
    await asyncio.sleep(3.0)  # a duplicate would show up now

    rows = await email_rows(database)
    print(f"\nIMAP restarts: {len(sent)} mails, {len(rows)} submissions, all in {recovered:.1f}s; "
          f"'reconnecting' logged {gateway.log().count('reconnecting')} times")
    assert Counter(content_id for content_id, _ in rows) == Counter(f"<{m}>" for m in sent)
    assert all(ticket_id is not None for _, ticket_id in rows)
    assert len({ticket_id for _, ticket_id in rows}) == len(sent) == await tickets(database)
    assert "reconnecting" in gateway.log()
    assert gateway.alive()

    # Every mail \Seen (acknowledged to the server after the PubAck), every client answered exactly once.
    async def all_seen() -> bool:
        return len(await asyncio.to_thread(dovecot.seen_uids)) == len(sent)

    await eventually(all_seen, within=30, every=0.3)

    async def answered() -> bool:
        return len({r for rec in smtp.received for r in rec.rcpt_tos}) >= len(sent)

    await eventually(answered, within=60, every=0.3)
    await asyncio.sleep(1.0)
    per_address = Counter(r for rec in smtp.received for r in rec.rcpt_tos)
    assert len(per_address) == len(sent) and set(per_address.values()) == {1}, per_address
    async with shunt_reader(nats_url) as shunted:
        assert await shunted() == []


async def attempt_times(smtp: SmtpServer, address: str, until: int, within: float) -> list[float]:
    """When each RCPT TO for `address` arrived (polled every 20 ms), until there were `until` of them."""
    seen: list[float] = []
    deadline = time.monotonic() + within
    while len(seen) < until and time.monotonic() < deadline:
        count = smtp.attempts(address)
        while len(seen) < count:
            seen.append(time.monotonic())
        await asyncio.sleep(0.02)
    return seen


async def ticket_of(database: Database, message_id: str) -> int | None:
    async with database.sessions() as session:
        return await session.scalar(select(Submission.ticket_id).where(Submission.content_id == f"<{message_id}>"))


async def test_smtp_refusals_temporary_retried_permanent_recorded(
    dovecot: DovecotServer, smtp: SmtpServer, gateway: GatewayProcess, database: Database, nats_url: str
) -> None:
    smtp.refuse(IVANOV.email, "451 4.3.0 Mailbox temporarily unavailable", times=3)
    smtp.refuse(SIDOROVA.email, "550 5.1.1 No such user here")
    ids = {}
    for person in (IVANOV, SIDOROVA, SMIRNOV):
        message_id = f"smtp-{person.contract}-{uuid.uuid4().hex[:8]}@client.example.org"
        await dovecot.append_async(mail(subject="Нет интернета", body=f"Договор {person.contract}: нет интернета.",
                                        sender=person.email, message_id=message_id))
        ids[person.email] = message_id

    # 451 three times, then accepted: four attempts spaced by the backoff, one message received.
    times = await attempt_times(smtp, IVANOV.email, until=4, within=90)
    assert len(times) == 4, f"{len(times)} attempts to {IVANOV.email}"
    gaps = [b - a for a, b in itertools.pairwise(times)]
    print(f"\n451 x3: attempts {len(times)}, gaps {', '.join(f'{g:.2f}s' for g in gaps)} (backoff {BACKOFF})")
    for gap, step in zip(gaps, BACKOFF, strict=True):
        assert gap >= 0.8 * step, (gaps, BACKOFF)

    async def delivered(address: str) -> list[Delivery]:
        async with database.sessions() as session:
            return list((await session.scalars(select(Delivery).where(Delivery.address == address))).all())

    [ok] = await eventually(lambda: delivered(IVANOV.email), within=30)
    assert ok.status == "sent"
    assert len(smtp.to(IVANOV.email)) == 1
    assert len(smtp.to(SMIRNOV.email)) == 1

    # 550: recorded on the ticket as a failed delivery and a history entry; tried once and never again.
    [failed] = await eventually(lambda: delivered(SIDOROVA.email), within=30)
    assert failed.status == "failed" and "550" in (failed.detail or ""), failed.detail
    ticket_id = await ticket_of(database, ids[SIDOROVA.email])
    assert ticket_id is not None and failed.ticket_id == ticket_id
    async with database.sessions() as session:
        notes = (await session.scalars(select(TicketHistory.note).where(
            TicketHistory.ticket_id == ticket_id, TicketHistory.action == "reply_not_sent"))).all()
    assert notes and "550" in (notes[0] or ""), notes
    await asyncio.sleep(sum(BACKOFF) + 2.0)  # the time the temporary one took to get through
    assert smtp.attempts(SIDOROVA.email) == 1
    assert smtp.to(SIDOROVA.email) == []
    async with shunt_reader(nats_url) as shunted:
        assert await shunted() == []
    assert gateway.alive()
