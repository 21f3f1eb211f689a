"""End to end through the real nats-server and database (SQLite and PostgreSQL): intake -> ticket -> reply."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from channels.base import RawSubmission
from channels.phone import parse_phone_form
from channels.web import parse_feedback
from normalizer import NormalizerConfig, normalize
from router.calendar import BusinessCalendar
from router.models import CallbackTask, Client, Delivery, Outbox, Submission, Ticket, TicketHistory
from router.timeutil import aware
from tests.support.directory import IVANOV, SIDOROVA, seed_directory
from tests.support.waiting import eventually
from workers.app.runtime import Database
from workers.app.worker_set import WorkerSet
from workers.bus.publish import publish_submission
from workers.bus.shunt import jetstream_of
from workers.channels.registry import normalizer_steps

pytestmark = pytest.mark.usefixtures("database_url")


@pytest.fixture
async def directory(database: Database) -> None:
    async with database.sessions() as session, session.begin():
        await seed_directory(session)


def web_submission(key: str, **fields: str) -> RawSubmission:
    return parse_feedback(fields, idempotency_key=key, api_client="lk", received_at=datetime.now(UTC))


def phone_submission(key: str, operator: str = "op.anna", **fields: object) -> RawSubmission:
    return parse_phone_form(
        fields, idempotency_key=key, operator_id=operator, received_at=datetime.now(UTC)
    )


async def count(database: Database, model: type, *where: object) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def ticket_for(database: Database, submission_id: str) -> Ticket | None:
    async with database.sessions() as session:
        return await session.scalar(
            select(Ticket).join(Submission, Submission.ticket_id == Ticket.id).where(Submission.id == submission_id)
        )


async def test_web_submission_becomes_one_ticket_for_the_personal_manager(
    directory: None, pipeline: WorkerSet, database: Database
) -> None:
    raw = web_submission("web-1", text="Второй день нет интернета, договор 12-000001", email=IVANOV.email)
    await publish_submission(pipeline.broker, raw)

    ticket = await eventually(lambda: ticket_for(database, str(raw.submission_id)))
    assert ticket.assignee_login == "m.petrova"
    assert ticket.stage == "primary_review" and ticket.status == "open"
    assert ticket.number.startswith(f"C-{datetime.now(UTC).year}-")
    assert aware(ticket.created_at) < aware(ticket.first_response_due) < aware(ticket.resolution_due)
    assert aware(ticket.legal_due) == BusinessCalendar().deadlines(aware(ticket.created_at)).legal
    async with database.sessions() as session:
        client = await session.get(Client, ticket.client_id)
        history = (await session.scalars(select(TicketHistory).where(TicketHistory.ticket_id == ticket.id))).all()
    assert client is not None and client.contract_number == IVANOV.contract
    assert [h.action for h in history] == ["registered", "primary_review"]
    assert "m.petrova" in (history[0].note or "")

    # The acknowledgement goes out: outbox published, delivered into the submission's status (the
    # personal account shows it), not as a call-back task.
    await eventually(lambda: count(database, Delivery, Delivery.ticket_id == ticket.id))
    async with database.sessions() as session:
        outbox = (await session.scalars(select(Outbox).where(Outbox.ticket_id == ticket.id))).all()
        task = await session.scalar(select(CallbackTask).where(CallbackTask.ticket_id == ticket.id))
        delivery = await session.scalar(select(Delivery).where(Delivery.ticket_id == ticket.id))
    assert {o.subject for o in outbox} == {"outbound.web", "tickets.events.created", "tickets.events.stage_changed"}
    assert all(o.sent_at is not None for o in outbox)
    assert task is None
    assert delivery is not None and (delivery.channel, delivery.status) == ("web", "sent")
    [acknowledgement] = [o.payload for o in outbox if o.subject == "outbound.web"]
    assert ticket.number in acknowledgement["text"] and "5 рабочих дней" in acknowledgement["text"]

    # The TicketEvents for external systems (created, stage_changed) are in the TICKETS stream.
    info = await jetstream_of(pipeline.broker).stream_info("TICKETS")
    assert info.state.messages == 2


async def test_phone_submission_goes_to_the_deputy_when_the_manager_is_inactive(
    directory: None, pipeline: WorkerSet, database: Database
) -> None:
    async with database.sessions() as session:
        sidorova = await session.scalar(select(Client).where(Client.contract_number == SIDOROVA.contract))
    assert sidorova is not None
    raw = phone_submission("call-1", client_id=sidorova.id, caller_phone="8 (916) 111-00-02",
                           text="Сотрудник нагрубил по телефону")
    await publish_submission(pipeline.broker, raw)

    ticket = await eventually(lambda: ticket_for(database, str(raw.submission_id)))
    assert ticket.client_id == sidorova.id
    assert ticket.assignee_login == "m.volkov"  # m.gone is inactive; m.volkov is the deputy
    async with database.sessions() as session:
        history = await session.scalar(select(TicketHistory).where(TicketHistory.ticket_id == ticket.id))
    assert history is not None and history.actor == "op.anna"
    assert await count(database, Ticket) == 1
    # The operator read the receipt out on the call: no acknowledgement, so no call-back task for it.
    assert await count(database, Outbox, Outbox.subject.like("outbound.%")) == 0


async def test_unknown_client_goes_to_the_subscriber_department_queue(
    directory: None, pipeline: WorkerSet, database: Database
) -> None:
    raw = web_submission("web-unknown", text="Я не ваш клиент, но у меня жалоба", email="stranger@example.org")
    await publish_submission(pipeline.broker, raw)
    ticket = await eventually(lambda: ticket_for(database, str(raw.submission_id)))
    assert ticket.client_id is None
    assert ticket.assignee_login is None and ticket.queue == "subscriber"


async def test_same_submission_published_three_times_makes_one_ticket(
    directory: None, pipeline: WorkerSet, database: Database
) -> None:
    raw = web_submission("web-dup", text="Списали деньги дважды", phone=IVANOV.phone)
    js = jetstream_of(pipeline.broker)
    acks = [await publish_submission(pipeline.broker, raw) for _ in range(3)]
    assert [bool(a.duplicate) for a in acks] == [False, True, True]
    # Past the broker's dedup window (another Msg-Id) at intake: the normalizer's event Msg-Id catches it...
    await js.publish("intake.raw.web", raw.model_dump_json().encode(), headers={"Nats-Msg-Id": "late-resend"})
    await eventually(lambda: _drained(pipeline, "INTAKE", "normalize", 2))
    # ...and past that one too, the router's unique native id still holds.
    event = normalize(raw, config=NormalizerConfig.from_settings(pipeline.settings), channel_steps=normalizer_steps())
    await js.publish("complaints.normalized", event.model_dump_json().encode(), headers={"Nats-Msg-Id": "late"})
    await eventually(lambda: _drained(pipeline, "COMPLAINTS", "route", 2))
    await eventually(lambda: count(database, Delivery))

    assert await count(database, Ticket) == 1
    assert await count(database, Submission) == 1
    assert await count(database, Delivery) == 1


async def _drained(pipeline: WorkerSet, stream: str, consumer: str, expected: int) -> bool:
    info = await jetstream_of(pipeline.broker).consumer_info(stream, consumer)
    return info.delivered.stream_seq >= expected and info.num_ack_pending == 0 and info.num_pending == 0


async def test_follow_up_naming_the_open_ticket_is_threaded_into_it(
    directory: None, pipeline: WorkerSet, database: Database
) -> None:
    first = web_submission("web-first", text="Нет интернета", email=IVANOV.email)
    await publish_submission(pipeline.broker, first)
    ticket = await eventually(lambda: ticket_for(database, str(first.submission_id)))

    follow = web_submission("web-follow", text=f"Дополнение к {ticket.number}: роутер перезагружал",
                            email=IVANOV.email)
    await publish_submission(pipeline.broker, follow)
    threaded = await eventually(lambda: ticket_for(database, str(follow.submission_id)))
    assert threaded.id == ticket.id
    assert await count(database, Ticket) == 1
    assert await count(database, TicketHistory, TicketHistory.action == "follow_up") == 1
