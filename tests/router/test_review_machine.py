"""The review process as a table: every action x every role x every stage, expectations derived from
router.review.machine.ACTIONS. Allowed: succeeds and writes history. Otherwise: Forbidden (role or
record) or Conflict (stage or state), with a Russian and an English message, and nothing written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from router.models import IdentityClaim, Outbox, Ticket, TicketDecision, TicketDepartment, TicketHistory
from router.review import ACTIONS, Conflict, Forbidden, Party, Requirement, perform
from router.review.machine import transitions
from router.workflow import Stage, can_move
from tests.web.factories import REGISTERED_AT, seed_review_client, seed_review_staff, seed_review_ticket
from workers.app.runtime import Database

NOW = datetime(2025, 11, 6, 9, 0, tzinfo=UTC)
P, R = Party, Requirement


@dataclass(frozen=True)
class State:
    """A ticket at a stage, as the process leaves it there (the fixture), and which requirements hold."""

    name: str
    stage: Stage
    review: dict[str, Any] = field(default_factory=dict)
    owned: bool = True
    in_department: bool = False
    measures: bool = False  # a conclusion with culprits' measures awaiting approval
    decision: bool = False  # a decision the client may be informed of
    claimed: bool = False  # a chat account's pending identity claim, the ticket without a client yet

    def holds(self, requirement: Requirement) -> bool:
        return {
            R.HAS_OWNER: self.owned,
            R.ACKNOWLEDGED: "acknowledged_at" in self.review,
            R.DIRECTOR_PENDING: bool(self.review.get("director_pending")),
            R.NOT_DIRECTOR_PENDING: not self.review.get("director_pending"),
            R.MEASURES_PENDING: self.measures,
            R.IDENTITY_CLAIM_PENDING: self.claimed,
        }[requirement]


ACK = {"acknowledged_at": REGISTERED_AT + timedelta(hours=1)}
DEPT = {**ACK, "department": "technical"}
STATES = (
    State("queue", Stage.REGISTERED, owned=False),
    State("claimed", Stage.REGISTERED, owned=False, claimed=True),
    State("registered", Stage.REGISTERED),
    State("primary_review", Stage.PRIMARY_REVIEW, ACK),
    State("deep_review", Stage.DEEP_REVIEW, DEPT, in_department=True),
    State("proposal", Stage.PROPOSAL, DEPT, in_department=True, measures=True),
    State("decision", Stage.DECISION, DEPT, in_department=True, measures=True),
    State("decision_director", Stage.DECISION, {**DEPT, "director_pending": True}, in_department=True,
          measures=True, decision=True),
    State("informing", Stage.INFORMING, DEPT, in_department=True, measures=True, decision=True),
    State("closed", Stage.CLOSED, DEPT, in_department=True, measures=True, decision=True),
    State("dispute", Stage.DISPUTE, DEPT, in_department=True, measures=True, decision=True),
)
# role -> the actor, in position on the fixture's ticket (the owner manager, the head of its department).
ACTORS = {"operator": "op.anna", "manager": "m.petrova", "department_head": "h.technical",
          "subscriber_head": "h.subscriber", "director": "d.director", "admin": "a.admin"}


def parties(role: str, state: State) -> frozenset[Party]:
    if role == "operator":
        return frozenset()  # read-only
    if role == "manager":
        return frozenset({P.MANAGER, P.STAFF, *([P.OWNER] if state.owned else [])})
    if role == "department_head":
        return frozenset({P.DEPARTMENT_HEAD, P.STAFF}) if state.in_department else frozenset()
    return frozenset({Party(role), P.STAFF})


def sample_fields(action: str, actor: str) -> dict[str, Any]:
    samples: dict[str, dict[str, Any]] = {
        "assign": {"login": actor if actor.startswith("m.") else "m.volkov"},
        "acknowledge": {},
        "answer_unfounded": {"text": "Перерыв связи был вызван плановыми работами, о которых мы сообщали."},
        "send_to_department": {"department": "billing", "note": "Проверьте начисления"},
        "ask_client": {"text": "Уточните, пожалуйста, адрес подключения."},
        "redirect": {"department": "billing", "note": "Вопрос по начислениям"},
        "conclude": {"causes": "Авария", "conclusion": "Обоснованна", "recommendations": ["Резервный канал"],
                     "culprits_measures": "Выговор дежурному"},
        "propose": {"founded": True, "conclusion": "Сделать перерасчёт", "recommendations": []},
        "decide": {"founded": True, "conclusion": "Перерасчёт за 3 дня"},
        "approve": {},
        "send_back": {"note": "Уточните сумму"},
        "approve_measures": {},
        "inform": {"text": "Мы сделали перерасчёт."},
        "dispute": {"note": "Клиент не согласен"},
        "review_again": {"department": "technical"},
        "uphold": {"note": "Оснований для пересмотра нет"},
        "comment": {"note": "Позвонил клиенту"},
        "write_to_client": {"text": "Работаем над вашей претензией."},
        "reassign": {"login": "m.volkov"},
        "confirm_identity": {},
        "reject_identity": {"note": "Номер не совпал"},
    }
    return samples[action]


def expected(action: str, role: str, state: State) -> type[Exception] | None:
    spec = ACTIONS[action]
    if not parties(role, state) & spec.parties:
        return Forbidden
    if state.stage not in spec.stages or not all(state.holds(r) for r in spec.requires):
        return Conflict
    return None


def seed(session: Session, number: str, state: State) -> None:
    client = seed_review_client(session, contract=f"c-{number}")
    ticket = seed_review_ticket(session, number, client_id=None if state.claimed else client.id,
                                assignee="m.petrova" if state.owned else None,
                                channel="vk" if state.claimed else "email",
                                stage=state.stage.value, status="closed" if state.stage == Stage.CLOSED else "open",
                                **state.review)
    if state.claimed:
        session.add(IdentityClaim(key=f"claim-{number}", ticket_id=ticket.id, client_id=client.id, account_kind="vk",
                                  account_value=number, status="pending", method="staff", attempts=0,
                                  created_at=REGISTERED_AT))
    if state.in_department:
        session.add(TicketDepartment(ticket_id=ticket.id, department="technical", at=REGISTERED_AT))
    if state.measures:
        session.add(TicketDecision(ticket_id=ticket.id, at=REGISTERED_AT, actor="h.technical", kind="conclusion",
                                   department="technical", conclusion="Авария", recommendations=[],
                                   culprits_measures="Выговор", needs_director=False, re_reviewed=False))
    if state.decision:
        session.add(TicketDecision(ticket_id=ticket.id, at=REGISTERED_AT, actor="h.subscriber", kind="decision",
                                   basis="review", founded=True, conclusion="Перерасчёт", recommendations=[],
                                   needs_director=True, re_reviewed=False))


def counts(session: Session, number: str) -> tuple[int, int, str]:
    ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
    # The pause an ask_client starts has a row of its own (router.sla.pause; tests/router/test_sla_pause.py).
    history = session.scalar(
        select(func.count()).select_from(TicketHistory).where(TicketHistory.ticket_id == ticket.id,
                                                              TicketHistory.action != "clock_paused"))
    outbox = session.scalar(select(func.count()).select_from(Outbox).where(Outbox.ticket_id == ticket.id))
    return history or 0, outbox or 0, ticket.stage


@pytest.mark.parametrize("action", list(ACTIONS))
async def test_every_role_at_every_stage(database: Database, action: str) -> None:
    await database.run_transaction(seed_review_staff)
    mismatches = []
    outcomes: dict[str, int] = {"ok": 0, "Forbidden": 0, "Conflict": 0}
    for s, state in enumerate(STATES):
        for r, (role, actor) in enumerate(ACTORS.items()):
            number = f"C-2025-{s:03d}{r:03d}"
            await database.run_transaction(partial(seed, number=number, state=state))
            want = expected(action, role, state)
            fields = sample_fields(action, actor)
            try:
                await database.run_transaction(partial(perform, number=number, actor_login=actor, action=action,
                                                       fields=fields, now=NOW))
                got: type[Exception] | None = None
            except (Forbidden, Conflict) as error:
                got = type(error)
                if not (error.error and error.error_en) or error.error == error.error_en:
                    mismatches.append(f"{state.name}/{role}: messages {error.error!r} / {error.error_en!r}")
            history, outbox, stage = await database.run_transaction(partial(counts, number=number))
            if got is not want:
                mismatches.append(f"{state.name}/{role}: expected {want and want.__name__}, got {got and got.__name__}")
            if got is not None and (history, outbox, stage) != (0, 0, state.stage.value):
                mismatches.append(f"{state.name}/{role}: a refused action wrote {history} history, {outbox} outbox")
            if got is None and history != 1:
                mismatches.append(f"{state.name}/{role}: {history} history rows for one action")
            outcomes["ok" if got is None else got.__name__] += 1
    assert not mismatches, "\n".join(mismatches)
    assert outcomes["ok"] >= 1, f"{action} never succeeds in the table"


def test_transitions_are_derived_from_the_actions() -> None:
    graph = transitions()
    assert graph[Stage.PRIMARY_REVIEW] == {Stage.DEEP_REVIEW, Stage.CLOSED}
    assert graph[Stage.DISPUTE] == {Stage.DEEP_REVIEW, Stage.DECISION, Stage.INFORMING}
    assert graph[Stage.CLOSED] == {Stage.DISPUTE}
    assert can_move(Stage.DECISION, Stage.INFORMING) and not can_move(Stage.INFORMING, Stage.DECISION)
