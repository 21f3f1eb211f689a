"""The review process end to end, record access, the errors, one transaction per action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from router.contracts import TicketEventType
from router.models import Outbox, Recommendation, StaffAlert, TicketDecision, TicketHistory
from router.review import (
    Conflict,
    Forbidden,
    InvalidFields,
    NotFound,
    allowed_actions,
    can_view,
    client_replied,
    perform,
)
from router.review.context import ActionContext
from router.review.facts import load_facts, load_staff, load_ticket
from router.workflow import Stage
from tests.web.factories import seed_review_client, seed_review_staff, seed_review_ticket
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
NOW = datetime(2025, 11, 6, 9, 0, tzinfo=UTC)
NUMBER = "C-2025-000001"
PETROVA_SIGNATURE = "С уважением,\nПетрова Мария Ивановна\nПерсональный менеджер"


async def seeded(database: Database, assignee: str | None = "m.petrova", stage: str | None = None,
                 segment: str = "individual", **review: Any) -> None:
    # As routing leaves it: a ticket with a manager is at primary review, one of the queue is registered.
    stage = stage or ("primary_review" if assignee else "registered")
    def work(session: Session) -> None:
        seed_review_staff(session)
        client = seed_review_client(session, segment=segment,
                                    name="ООО «Ромашка»" if segment == "business" else "Иванов Иван Иванович")
        seed_review_ticket(session, NUMBER, client_id=client.id, assignee=assignee, stage=stage, **review)
    await database.run_transaction(work)


async def act(database: Database, actor: str, action: str, step: int = 0, via: str | None = None,
              **fields: Any) -> str:
    def work(session: Session) -> str:
        return perform(session, NUMBER, actor, action, fields, NOW + timedelta(hours=step), via).stage
    return await database.run_transaction(work)


def rows(session: Session, model: Any) -> list[Any]:
    ticket = load_ticket(session, NUMBER)
    return list(session.scalars(select(model).where(model.ticket_id == ticket.id).order_by(model.id)))


async def read(database: Database, model: Any) -> list[Any]:
    return await database.run_transaction(lambda session: rows(session, model))


async def visible(database: Database, login: str, serving: int | None = None) -> tuple[bool, list[str]]:
    def work(session: Session) -> tuple[bool, list[str]]:
        ticket = load_ticket(session, NUMBER)
        facts = load_facts(session, ticket)
        staff = load_staff(session, login)
        assert staff is not None
        return can_view(staff, ticket, facts, serving), allowed_actions(staff, ticket, facts)
    return await database.run_transaction(work)


async def test_the_whole_process_with_a_dispute(database: Database) -> None:
    await seeded(database, assignee=None)  # the unknown-client queue
    steps: list[tuple[str, str, dict[str, Any], str]] = [
        ("h.subscriber", "assign", {"login": "m.petrova"}, "primary_review"),
        ("m.petrova", "acknowledge", {}, "primary_review"),
        ("m.petrova", "send_to_department", {"department": "technical", "note": "Авария?"}, "deep_review"),
        ("h.technical", "ask_client", {"text": "С какого числа нет связи?"}, "deep_review"),
        ("client", "client_replied", {}, "deep_review"),
        ("h.technical", "conclude", {"causes": "Обрыв кабеля", "conclusion": "Претензия обоснованна",
                                     "recommendations": ["Проверять резервный канал ежемесячно"],
                                     "culprits_measures": "Замечание дежурному инженеру"}, "proposal"),
        ("d.director", "approve_measures", {}, "proposal"),
        ("m.petrova", "propose", {"founded": True, "conclusion": "Перерасчёт за 3 дня"}, "decision"),
        ("h.subscriber", "decide", {"founded": True, "conclusion": "Сделаем перерасчёт за 3 дня.",
                                    "needs_director": True}, "decision"),
        ("d.director", "approve", {}, "informing"),
        ("m.petrova", "inform", {}, "closed"),
        ("m.petrova", "dispute", {"note": "Клиент просит перерасчёт за неделю"}, "dispute"),
        ("d.director", "review_again", {}, "decision"),
        ("h.subscriber", "decide", {"founded": True, "conclusion": "Сделаем перерасчёт за 7 дней."}, "informing"),
        ("m.petrova", "inform", {}, "closed"),
    ]
    for step, (actor, action, fields, stage) in enumerate(steps):
        if action == "client_replied":
            def reply(session: Session, at: datetime = NOW + timedelta(hours=step)) -> bool:
                return client_replied(session, load_ticket(session, NUMBER), at)
            assert await database.run_transaction(reply)
        else:
            assert await act(database, actor, action, step, **fields) == stage, action

    ticket = (await database.run_transaction(lambda session: [load_ticket(session, NUMBER)]))[0]
    assert (ticket.stage, ticket.status, ticket.waiting_for_client) == ("closed", "closed", False)
    assert ticket.acknowledged_at is not None and ticket.resolved_at is not None and ticket.review_round == 1

    decisions = [d for d in await read(database, TicketDecision) if d.kind == "decision"]
    assert [(d.basis, d.re_reviewed, d.approved_by) for d in decisions] == [
        ("review", False, "d.director"), ("re_review", True, None)]
    conclusion = next(d for d in await read(database, TicketDecision) if d.kind == "conclusion")
    assert conclusion.measures_approved_by == "d.director"
    [recommendation] = await read(database, Recommendation)
    assert (recommendation.status, recommendation.department) == ("new", "technical")

    outbox = await read(database, Outbox)
    answers = [row.payload for row in outbox if row.subject == "outbound.email"]
    assert [a["kind"] for a in answers] == ["answer"] * 4
    assert all(a["in_reply_to"] == f"native-{NUMBER}" and a["ticket_number"] == NUMBER for a in answers)
    ack, question, first, second = (a["text"] for a in answers)
    assert ack.startswith("Здравствуйте, Иванов Иван Иванович!") and "до 12.11.2025" in ack
    assert "Петрова Мария Ивановна" in ack.split("\n\n")[1]
    assert question.endswith("Волков Сергей Николаевич\nНачальник отдела")
    assert "за 3 дня" in first and "пересмотрено" not in first
    assert "за 7 дней" in second and "решение пересмотрено" in second
    for text in (ack, first, second):
        assert text.endswith(PETROVA_SIGNATURE)
    events = [row.payload for row in outbox if row.subject == "tickets.events.stage_changed"]
    assert [e["stage"] for e in events] == ["primary_review", "deep_review", "proposal", "decision", "informing",
                                            "closed", "dispute", "decision", "informing", "closed"]

    history = await read(database, TicketHistory)
    expected = [a for _, a, _, _ in steps]
    # The question pauses the resolution clock and the reply resumes it, each with a history row.
    expected.insert(expected.index("ask_client") + 1, "clock_paused")
    expected.insert(expected.index("client_replied") + 1, "clock_resumed")
    assert [h.action for h in history] == expected
    assert {h.to_stage for h in history} == set(Stage) - {Stage.REGISTERED}
    assert "пересмотренному решению" in (history[-1].note or "")
    [alert] = [a for a in await read(database, StaffAlert) if a.kind == "dispute"]
    assert alert.login == "d.director" and NUMBER in alert.text


async def test_a_manager_sees_only_their_clients_tickets(database: Database) -> None:
    await seeded(database, assignee="m.petrova", stage="primary_review")
    assert await visible(database, "m.volkov") == (False, [])
    with pytest.raises(Forbidden) as refused:
        await act(database, "m.volkov", "acknowledge")
    assert "доступа" in refused.value.error and refused.value.status == 403
    seen, actions = await visible(database, "m.petrova")
    assert seen and {"acknowledge", "answer_unfounded", "comment", "write_to_client"} <= set(actions)
    assert "send_to_department" not in actions  # not acknowledged yet


async def test_the_deputy_acts_for_an_absent_owner(database: Database) -> None:
    await seeded(database, assignee="m.gone", stage="primary_review")  # inactive, deputy m.volkov
    assert (await visible(database, "m.volkov"))[0]
    assert not (await visible(database, "m.petrova"))[0]
    assert await act(database, "m.volkov", "acknowledge") == "primary_review"
    [answer] = [row.payload for row in await read(database, Outbox) if row.subject == "outbound.email"]
    assert answer["text"].endswith("Волков Андрей Петрович\nПерсональный менеджер")


async def test_a_department_head_keeps_access_after_the_ticket_moved_on(database: Database) -> None:
    await seeded(database, stage="primary_review", acknowledged_at=NOW)
    assert not (await visible(database, "h.technical"))[0]
    await act(database, "m.petrova", "send_to_department", department="technical")
    assert (await visible(database, "h.technical"))[1] == ["ask_client", "redirect", "conclude", "comment"]
    await act(database, "h.technical", "redirect", 1, department="billing", note="Это начисления")
    seen, actions = await visible(database, "h.technical")
    assert seen and actions == ["comment"]
    with pytest.raises(Forbidden):
        await act(database, "h.technical", "conclude", 2, causes="x", conclusion="y")
    await act(database, "h.billing", "conclude", 2, causes="Ошибка тарифа", conclusion="Обоснованна")
    assert (await visible(database, "h.technical"))[0] and (await visible(database, "h.billing"))[0]


async def test_an_operator_reads_the_served_clients_tickets_and_cannot_decide(database: Database) -> None:
    await seeded(database, stage="decision", acknowledged_at=NOW)
    ticket = (await database.run_transaction(lambda session: [load_ticket(session, NUMBER)]))[0]
    assert (await visible(database, "op.anna", serving=ticket.client_id))[0]
    assert not (await visible(database, "op.anna", serving=(ticket.client_id or 0) + 1))[0]
    assert not (await visible(database, "op.anna"))[0]
    with pytest.raises(Forbidden):
        await act(database, "op.anna", "decide", founded=True, conclusion="Да")


async def test_errors_are_distinguished(database: Database) -> None:
    await seeded(database, stage="primary_review")
    with pytest.raises(Conflict) as early:
        await act(database, "m.petrova", "send_to_department", department="technical")
    assert early.value.status == 409 and "подтвердите клиенту приём" in early.value.error
    assert early.value.as_json()["error_en"].startswith("Acknowledge")
    with pytest.raises(InvalidFields) as missing:
        await act(database, "m.petrova", "answer_unfounded")
    assert missing.value.status == 422 and missing.value.details[0]["loc"] == ["text"]
    with pytest.raises(InvalidFields):
        await act(database, "m.petrova", "acknowledge", extra="x")
    with pytest.raises(Forbidden):
        await act(database, "h.subscriber", "acknowledge")  # a head is not the owner
    with pytest.raises(Conflict):
        await act(database, "h.subscriber", "decide", founded=True, conclusion="Да")  # not at decision yet
    with pytest.raises(NotFound):
        await act(database, "m.petrova", "fly_to_the_moon")
    await act(database, "m.petrova", "acknowledge", text="Приняли, разбираемся.")
    with pytest.raises(InvalidFields) as unknown:
        await act(database, "m.petrova", "send_to_department", department="nowhere")
    assert "nowhere" in unknown.value.error
    await act(database, "m.petrova", "comment", via="lk", note="Звонил клиенту")
    history = await read(database, TicketHistory)
    assert [h.action for h in history] == ["acknowledge", "comment"]
    assert history[-1].actor == "m.petrova" and history[-1].note == "Звонил клиенту (via lk)"


async def test_a_company_is_greeted_without_its_legal_name(database: Database) -> None:
    await seeded(database, segment="business")
    await act(database, "m.petrova", "write_to_client", text="Работаем над претензией.")
    [answer] = [row.payload for row in await read(database, Outbox) if row.subject == "outbound.email"]
    assert answer["text"].startswith("Здравствуйте!\n\nРаботаем над претензией.\n\n")
    assert "Ромашка" not in answer["text"]


async def test_an_action_is_one_transaction(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    await seeded(database, stage="primary_review")

    announce = ActionContext.announce

    def broken(self: ActionContext, kind: TicketEventType, action: str | None = None) -> None:
        if kind == TicketEventType.STAGE_CHANGED:
            raise RuntimeError("the event could not be written")
        announce(self, kind, action)

    # The TicketEvent is the last write of an action that moves the ticket: the history row, the answer
    # to the client and the decision row are already in the session when it fails.
    monkeypatch.setattr(ActionContext, "announce", broken)
    await act(database, "m.petrova", "acknowledge")  # stays at primary_review: "updated", so it succeeds
    with pytest.raises(RuntimeError):
        await act(database, "m.petrova", "answer_unfounded", 1, text="Необоснованна: работы были объявлены.")
    ticket = (await database.run_transaction(lambda session: [load_ticket(session, NUMBER)]))[0]
    assert (ticket.stage, ticket.status, ticket.resolved_at) == ("primary_review", "open", None)
    assert [h.action for h in await read(database, TicketHistory)] == ["acknowledge"]
    assert len([r for r in await read(database, Outbox) if r.subject == "outbound.email"]) == 1
    assert [d for d in await read(database, TicketDecision)] == []



async def test_a_manager_takes_a_queue_ticket_only_for_themselves(database: Database) -> None:
    await seeded(database, assignee=None)
    assert await visible(database, "m.volkov") == (True, ["assign", "comment"])
    with pytest.raises(Forbidden):
        await act(database, "m.volkov", "assign", login="m.petrova")
    with pytest.raises(InvalidFields):
        await act(database, "h.subscriber", "assign", login="m.gone")  # inactive
    assert await act(database, "m.volkov", "assign", login="m.volkov") == "primary_review"
    assert not (await visible(database, "m.petrova"))[0]  # no longer in the queue
    await act(database, "h.subscriber", "reassign", 1, login="m.petrova")
    ticket = (await database.run_transaction(lambda session: [load_ticket(session, NUMBER)]))[0]
    assert (ticket.assignee_login, ticket.handler_login) == ("m.petrova", "m.petrova")
    events = [row.subject for row in await read(database, Outbox)]
    assert events == ["tickets.events.stage_changed", "tickets.events.assigned"]


async def test_the_directors_alerts_are_settled_once_acted_on_and_go_out_as_notices(database: Database) -> None:
    await seeded(database, stage="decision", acknowledged_at=NOW)
    await act(database, "h.subscriber", "decide", 1, founded=True, conclusion="Перерасчёт", needs_director=True)
    [pending] = await read(database, StaffAlert)
    assert (pending.login, pending.kind, pending.read_at) == ("d.director", "approval_needed", None)
    await act(database, "d.director", "approve", 2)
    [settled] = await read(database, StaffAlert)
    assert settled.read_at is not None  # no longer under «Требует внимания»
    await act(database, "m.petrova", "inform", 3)
    await act(database, "m.petrova", "dispute", 4, note="Клиент позвонил: не согласен")
    disputes = [a for a in await read(database, StaffAlert) if a.kind == "dispute"]
    assert disputes and all(a.read_at is None for a in disputes)
    await act(database, "d.director", "uphold", 5, note="Решение верное")
    assert all(a.read_at is not None for a in await read(database, StaffAlert) if a.kind == "dispute")
    # Every alert is also a notice for the notify stage (emailed to the staff member when SMTP is set up).
    notices = [row.payload for row in await read(database, Outbox) if row.subject == "notices.staff"]
    assert [(n["login"], n["kind"]) for n in notices] == [("d.director", "approval_needed")] + [
        ("d.director", "dispute")] * len(disputes)
