"""A chat follow-up is confirmed only after a quiet spell (RoutingPolicy.chat_receipt_quiet): a client's burst of
messages gets one answer and a flood of thousands does not get thousands of answers; an answer with news in it
(a claim, a code) is never held back, and mail is confirmed each time. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from channels.base import Channel
from normalizer.event import ComplaintEvent
from router.calendar import BusinessCalendar
from router.models import Ticket
from router.routing import Outcome, RouteResult, RoutingPolicy, route_events
from tests.router.test_chat_routing import NOW, chat, replies_of
from tests.support.directory import IVANOV
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
QUIET = RoutingPolicy(chat_receipt_quiet=timedelta(minutes=10))
ADDED = "Ваше сообщение добавлено к претензии"


async def route(database: Database, at: datetime, *events: ComplaintEvent,
                policy: RoutingPolicy = QUIET) -> list[RouteResult]:
    return await database.run_transaction(lambda s: route_events(s, events, BusinessCalendar(), at, policy))


async def test_a_burst_gets_one_answer_and_a_later_message_its_receipt(seeded: Database) -> None:
    [first] = await route(seeded, NOW, chat(Channel.TELEGRAM, "7001", "Здравствуйте"))
    # Two more at once (one batch) and one a minute later: the registration answer says it all.
    burst = await route(seeded, NOW + timedelta(seconds=20), chat(Channel.TELEGRAM, "7001", "Нет интернета"),
                        chat(Channel.TELEGRAM, "7001", "Третий день"))
    await route(seeded, NOW + timedelta(minutes=1), chat(Channel.TELEGRAM, "7001", "Роутер перезагружал"))
    assert [r.outcome for r in burst] == [Outcome.FOLLOW_UP, Outcome.FOLLOW_UP]
    replies = await replies_of(seeded, first.ticket_number)
    assert len(replies) == 1 and ADDED not in replies[0]

    # After the quiet spell the next message is confirmed, and the one right after it is not.
    await route(seeded, NOW + timedelta(minutes=12), chat(Channel.TELEGRAM, "7001", "Всё ещё не работает"),
                chat(Channel.TELEGRAM, "7001", "Жду ответа"))
    replies = await replies_of(seeded, first.ticket_number)
    assert len(replies) == 2 and ADDED in replies[1]


async def test_a_flood_is_answered_once_per_quiet_spell(seeded: Database) -> None:
    [first] = await route(seeded, NOW, chat(Channel.VK, "7002", "Жалоба"))
    for minute in range(1, 31):  # a message a minute for half an hour, each routed on its own
        await route(seeded, NOW + timedelta(minutes=minute), chat(Channel.VK, "7002", f"Сообщение {minute}"))
    replies = await replies_of(seeded, first.ticket_number)
    # The registration answer, then a receipt at minutes 10, 20 and 30.
    assert len(replies) == 4 and all(ADDED in reply for reply in replies[1:])


async def test_news_is_never_held_back(seeded: Database) -> None:
    [first] = await route(seeded, NOW, chat(Channel.OK, "7003", "Нет связи"))
    await route(seeded, NOW + timedelta(seconds=30), chat(Channel.OK, "7003", f"Мой договор {IVANOV.contract}",
                                                           contracts=[IVANOV.contract]))
    replies = await replies_of(seeded, first.ticket_number)
    assert len(replies) == 2 and "код подтверждения" in replies[1]  # the answer to the claim, within the spell


async def test_without_a_quiet_spell_every_follow_up_is_confirmed(seeded: Database) -> None:
    [first] = await route(seeded, NOW, chat(Channel.TELEGRAM, "7004", "Жалоба"), policy=RoutingPolicy())
    await route(seeded, NOW + timedelta(seconds=5), chat(Channel.TELEGRAM, "7004", "Ещё"), policy=RoutingPolicy())
    replies = await replies_of(seeded, first.ticket_number)
    assert len(replies) == 2 and ADDED in replies[1]


async def test_an_answer_to_a_question_of_the_review_is_always_confirmed(seeded: Database) -> None:
    [first] = await route(seeded, NOW, chat(Channel.TELEGRAM, "7005", "Жалоба"))
    # The review asks the client something a minute later (the ticket waits for the client).
    await seeded.run_transaction(lambda s: s.execute(
        update(Ticket).where(Ticket.number == first.ticket_number).values(waiting_for_client=True)))
    [answer] = await route(seeded, NOW + timedelta(minutes=2), chat(Channel.TELEGRAM, "7005", "Адрес: Ленина 1"))
    assert answer.outcome is Outcome.FOLLOW_UP
    replies = await replies_of(seeded, first.ticket_number)
    assert len(replies) == 2 and ADDED in replies[1]
