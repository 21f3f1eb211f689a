"""Email routing on SQLite and PostgreSQL: the content-id dedup key, threading by Message-ID,
reopening a closed ticket within the dispute window, bounces and auto-replies to our replies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities, ReplyTarget
from router.calendar import BusinessCalendar
from router.models import Delivery, Outbox, SentMessage, StaffAlert, Submission, Ticket, TicketHistory
from router.routing import Outcome, RouteResult, RoutingPolicy, route_events
from tests.support.directory import IVANOV, SIDOROVA
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
OURS = "<outbox-7.C-2026-000001@claims.example.ru>"


def mail(uid: int, sender: str, content_id: str | None = None, refs: list[str] | None = None,
         auto_kind: str | None = None, uidvalidity: int = 1, text: str = "Нет интернета") -> ComplaintEvent:
    return ComplaintEvent(
        event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=Channel.EMAIL,
        native_id=f"claims:{uidvalidity}:{uid}", received_at=NOW, identities=Identities(emails=[sender]),
        subject="Жалоба", text=text, thread_refs=refs or [], content_id=content_id or f"<m{uid}@client>",
        auto_generated=auto_kind is not None, auto_kind=auto_kind,
        reply_to=None if auto_kind else ReplyTarget(address=sender, message_id=content_id or f"<m{uid}@client>",
                                                     subject="Жалоба"),
    )


async def route(database: Database, *events: ComplaintEvent,
                policy: RoutingPolicy = RoutingPolicy()) -> list[RouteResult]:
    return await database.run_transaction(lambda s: route_events(s, events, BusinessCalendar(), NOW, policy))


async def count(database: Database, model: type, *where: object) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


async def ticket_of(database: Database, number: str | None) -> Ticket:
    async with database.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket is not None
    return ticket


async def our_reply(database: Database, number: str, outbox_id: int = 7) -> None:
    """What the email sender records when our acknowledgement went out."""
    ticket = await ticket_of(database, number)
    async with database.sessions() as session, session.begin():
        session.add(SentMessage(message_id=OURS, ticket_id=ticket.id, outbox_id=outbox_id, channel="email",
                                kind="acknowledgement", address=IVANOV.email, subject=f"Re: [{number}] Жалоба",
                                sent_at=NOW, status="sent"))
        session.add(Delivery(outbox_id=outbox_id, ticket_id=ticket.id, channel="email", address=IVANOV.email,
                             status="sent", at=NOW))


async def close(database: Database, number: str | None, closed_at: datetime) -> None:
    async with database.sessions() as session, session.begin():
        await session.execute(update(Ticket).where(Ticket.number == number)
                              .values(status="closed", stage="closed", closed_at=closed_at))


async def test_the_same_message_id_under_a_new_uidvalidity_is_a_duplicate(seeded: Database) -> None:
    [first] = await route(seeded, mail(5, IVANOV.email, "<same@client>"))
    again = await route(seeded, mail(5, IVANOV.email, "<same@client>", uidvalidity=2),
                        mail(9, IVANOV.email, "<other@client>", uidvalidity=2),
                        mail(10, IVANOV.email, "<other@client>", uidvalidity=2))  # and within one batch
    assert first.outcome == Outcome.CREATED
    assert [r.outcome for r in again] == [Outcome.DUPLICATE, Outcome.CREATED, Outcome.DUPLICATE]
    assert await count(seeded, Ticket) == 2 and await count(seeded, Submission) == 2
    assert await count(seeded, Submission, Submission.content_id == "<same@client>") == 1


async def test_a_message_id_is_a_duplicate_only_on_its_own_channel(seeded: Database) -> None:
    web = mail(1, IVANOV.email, "<x@client>").model_copy(update={"channel": Channel.WEB})
    results = await route(seeded, web, mail(1, IVANOV.email, "<x@client>"))
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.CREATED]


async def test_a_reply_to_our_message_threads_even_from_an_unknown_address(seeded: Database) -> None:
    [created] = await route(seeded, mail(1, IVANOV.email))
    assert created.ticket_number == "C-2026-000001"
    await our_reply(seeded, created.ticket_number)
    # The client answers from another mailbox, not in the directory: our Message-ID is proof enough.
    [follow] = await route(seeded, mail(2, "ivanov.home@example.org", refs=[OURS]))
    assert follow == RouteResult(Outcome.FOLLOW_UP, created.ticket_number, "m.petrova")
    ticket = await ticket_of(seeded, created.ticket_number)
    assert await count(seeded, Submission, Submission.ticket_id == ticket.id) == 2
    assert await count(seeded, Ticket) == 1


async def test_a_ticket_number_alone_from_an_unknown_address_makes_a_new_ticket(seeded: Database) -> None:
    [created] = await route(seeded, mail(1, IVANOV.email))
    [other] = await route(seeded, mail(2, "ivanov.home@example.org", refs=[created.ticket_number or ""]))
    assert other.outcome == Outcome.CREATED and other.ticket_number != created.ticket_number


async def test_the_clients_own_earlier_message_id_threads_for_that_client_only(seeded: Database) -> None:
    [created] = await route(seeded, mail(1, IVANOV.email, "<first@ivanov>"))
    follow, stranger, same_batch = await route(
        seeded,
        mail(2, IVANOV.email, "<second@ivanov>", refs=["<first@ivanov>"]),
        mail(3, SIDOROVA.email, refs=["<first@ivanov>"]),  # a reply-all from someone else: her own ticket
        mail(4, IVANOV.email, refs=["<second@ivanov>"]),  # the follow-up made earlier in this batch
    )
    assert follow.outcome == Outcome.FOLLOW_UP and follow.ticket_number == created.ticket_number
    assert stranger.outcome == Outcome.CREATED and stranger.ticket_number != created.ticket_number
    assert same_batch.outcome == Outcome.FOLLOW_UP and same_batch.ticket_number == created.ticket_number


async def test_a_reply_within_the_dispute_window_reopens_the_closed_ticket(seeded: Database) -> None:
    [created] = await route(seeded, mail(1, IVANOV.email))
    assert created.ticket_number is not None
    await our_reply(seeded, created.ticket_number)
    await close(seeded, created.ticket_number, NOW - timedelta(days=10))
    [reopened] = await route(seeded, mail(2, IVANOV.email, refs=[OURS], text="Не согласен с решением"))
    assert reopened == RouteResult(Outcome.REOPENED, created.ticket_number, "m.petrova")
    ticket = await ticket_of(seeded, created.ticket_number)
    assert (ticket.status, ticket.stage, ticket.closed_at) == ("open", "dispute", None)
    assert ticket.reopened_at is not None
    async with seeded.sessions() as session:
        history = (await session.execute(
            select(TicketHistory.action, TicketHistory.from_stage, TicketHistory.to_stage, TicketHistory.note)
            .where(TicketHistory.ticket_id == ticket.id).order_by(TicketHistory.id)
        )).all()
        subjects = (await session.scalars(
            select(Outbox.subject).where(Outbox.ticket_id == ticket.id).order_by(Outbox.id))).all()
        reply = await session.scalar(select(Outbox.payload).where(Outbox.subject == "outbound.email")
                                     .order_by(Outbox.id.desc()))
    assert [h.action for h in history] == ["registered", "primary_review", "reopened", "follow_up"]
    assert history[2].from_stage == "closed" and history[2].to_stage == "dispute"
    assert "открыта повторно" in (history[2].note or "")
    assert history[3].note == "Не согласен с решением"
    assert subjects[-3:] == ["tickets.events.reopened", "tickets.events.follow_up", "outbound.email"]
    assert reply is not None and "открыта повторно" in reply["text"]
    assert await count(seeded, Ticket) == 1


async def test_after_the_dispute_window_a_new_ticket_is_linked_to_the_closed_one(seeded: Database) -> None:
    [created] = await route(seeded, mail(1, IVANOV.email))
    await close(seeded, created.ticket_number, NOW - timedelta(days=10))
    # A window of 5 days (settings.dispute_window_days): ten days after closing is too late.
    [late] = await route(seeded, mail(2, IVANOV.email, refs=[created.ticket_number or ""]),
                         policy=RoutingPolicy.from_days(5))
    assert late.outcome == Outcome.CREATED and late.ticket_number != created.ticket_number
    old, new = await ticket_of(seeded, created.ticket_number), await ticket_of(seeded, late.ticket_number)
    assert new.parent_ticket_id == old.id and old.status == "closed"


async def test_a_bounce_of_our_reply_marks_it_and_alerts_the_manager(seeded: Database) -> None:
    [created] = await route(seeded, mail(1, IVANOV.email))
    assert created.ticket_number is not None
    await our_reply(seeded, created.ticket_number)
    outbox_before = await count(seeded, Outbox)
    bounce = mail(2, "mailer-daemon@mx.example.ru", refs=[OURS], auto_kind="bounce",
                  text="550 5.1.1 <ivanov@example.ru>: Recipient address rejected: User unknown")
    second_report = bounce.model_copy(update={"native_id": "claims:1:3", "content_id": "<dsn2@mx>",
                                              "submission_id": uuid.uuid4(), "event_id": uuid.uuid4()})
    result, again = await route(seeded, bounce, second_report)
    assert again.outcome == Outcome.BOUNCED  # noted once: one history entry, one alert
    assert result == RouteResult(Outcome.BOUNCED, created.ticket_number, "m.petrova")
    ticket = await ticket_of(seeded, created.ticket_number)
    async with seeded.sessions() as session:
        sent = await session.scalar(select(SentMessage).where(SentMessage.message_id == OURS))
        delivery = await session.scalar(select(Delivery).where(Delivery.outbox_id == 7))
        history = (await session.scalars(select(TicketHistory).where(
            TicketHistory.ticket_id == ticket.id, TicketHistory.action == "reply_bounced"))).all()
        alerts = (await session.scalars(select(StaffAlert))).all()
    assert sent is not None and sent.status == "bounced" and "User unknown" in (sent.detail or "")
    assert delivery is not None and delivery.status == "failed"
    assert len(history) == 1 and "не доставлен" in (history[0].note or "")
    assert [(a.login, a.ticket_id, a.kind) for a in alerts] == [("m.petrova", ticket.id, "reply_bounced")]
    assert alerts[0].text.startswith("Ответ клиенту не доставлен") and alerts[0].read_at is None
    # No ticket, no answer; only the manager's alert is published (a notice, emailed to staff); the bounces
    # are kept as submissions.
    async with seeded.sessions() as session:
        added = (await session.scalars(select(Outbox.subject).where(Outbox.id > outbox_before))).all()
    assert await count(seeded, Ticket) == 1 and await count(seeded, Outbox) == outbox_before + 1
    assert added == ["notices.staff"]
    assert await count(seeded, Submission, Submission.ticket_id.is_(None)) == 2


async def test_an_out_of_office_answer_to_our_reply_is_recorded_and_not_answered(seeded: Database) -> None:
    [created] = await route(seeded, mail(1, IVANOV.email))
    assert created.ticket_number is not None
    await our_reply(seeded, created.ticket_number)
    outbox_before = await count(seeded, Outbox)
    [result] = await route(seeded, mail(2, IVANOV.email, refs=[OURS], auto_kind="auto_reply",
                                        text="Я в отпуске до 1 декабря"))
    assert result.outcome == Outcome.AUTO_GENERATED and result.ticket_number == created.ticket_number
    ticket = await ticket_of(seeded, created.ticket_number)
    assert await count(seeded, Ticket) == 1 and await count(seeded, Outbox) == outbox_before
    assert await count(seeded, StaffAlert) == 0
    assert await count(seeded, TicketHistory, TicketHistory.ticket_id == ticket.id,
                       TicketHistory.action == "auto_reply") == 1
    async with seeded.sessions() as session:
        sent = await session.scalar(select(SentMessage.status).where(SentMessage.message_id == OURS))
    assert sent == "sent"
