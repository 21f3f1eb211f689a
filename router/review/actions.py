"""What each action of machine.ACTIONS does to the ticket, beyond the generic part (router.review.perform:
the stage, the history row, the stage_changed TicketEvent). A handler returns where the ticket goes (or
None: it stays) and the history note."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from router.assignment import assign as assignment_of
from router.contracts import TicketEventType
from router.identity_claims import Status as ClaimStatus
from router.models import Client, ClientIdentity, IdentityClaim, Recommendation, TicketDecision, TicketDepartment
from router.review import fields as f
from router.review.context import ActionContext
from router.review.errors import Conflict, Forbidden
from router.review.facts import active_of_role, department_head, first_active, manager
from router.sla import timers
from router.sla.pause import CLOCK_PAUSED, CLOCK_RESUMED, pause, resume
from router.sla.policy import Clock
from router.texts import decision_answer, dispute_alert, review_acknowledgement
from router.timeutil import aware, to_utc
from router.workflow import Stage


@dataclass(frozen=True)
class Step:
    to: Stage | None
    note: str | None
    announced: bool = False  # the handler emitted its own TicketEvent (e.g. assigned)
    then: tuple[tuple[str, str], ...] = ()  # (action, note) history rows after the action's own (a pause)


Handler = Callable[[ActionContext, Any], Step]

# Alert kinds an action settles once the director has acted on them.
APPROVAL_NEEDED = "approval_needed"
DISPUTE_ALERT = "dispute"


def _take(ctx: ActionContext, login: str) -> str:
    new = manager(ctx.session, login)
    old = ctx.ticket.assignee_login
    ctx.ticket.assignee_login = new.login
    if old is not None and ctx.ticket.handler_login == old:  # the owner held it: the new owner does
        ctx.ticket.handler_login = new.login
    return f"Назначено: {new.name} ({new.login})"


def assign(ctx: ActionContext, fields: f.LoginFields) -> Step:
    if ctx.actor.role == "manager" and fields.login != ctx.actor.login:
        raise Forbidden("Менеджер может взять претензию только себе.", "A manager may only take a ticket themselves.")
    note = _take(ctx, fields.login)
    ctx.ticket.handler_login = ctx.ticket.assignee_login
    return Step(Stage.PRIMARY_REVIEW, note)


def acknowledge(ctx: ActionContext, fields: f.OptionalTextFields) -> Step:
    ticket = ctx.ticket
    body = fields.text or review_acknowledgement(ticket.number, ctx.signer, aware(ticket.resolution_due), ctx.tz)
    text = ctx.send(body)
    if ticket.acknowledged_at is None:
        ticket.acknowledged_at = to_utc(ctx.now)
    ticket.handler_login = ticket.assignee_login
    return Step(Stage.PRIMARY_REVIEW, text)


def _decision(ctx: ActionContext, **values: Any) -> TicketDecision:
    row = TicketDecision(ticket_id=ctx.ticket.id, at=to_utc(ctx.now), actor=ctx.actor.login, **values)
    ctx.session.add(row)
    return row


def _close(ctx: ActionContext) -> None:
    ticket = ctx.ticket
    ticket.status, ticket.closed_at, ticket.handler_login = "closed", to_utc(ctx.now), None
    if ticket.resolved_at is None:  # the first answer stops the resolution and legal clocks (not a re-answer)
        ticket.resolved_at = to_utc(ctx.now)
    ticket.waiting_for_client, ticket.paused_at = False, None
    if ticket.acknowledged_at is None:
        ticket.acknowledged_at = to_utc(ctx.now)


def answer_unfounded(ctx: ActionContext, fields: f.TextFields) -> Step:
    text = ctx.send(fields.text)
    _decision(ctx, kind="decision", basis="primary_review", founded=False, conclusion=fields.text,
              recommendations=[], needs_director=False, re_reviewed=False)
    _close(ctx)
    return Step(Stage.CLOSED, f"Решение: претензия необоснованна (первичная обработка). Ответ клиенту:\n{text}")


def _to_department(ctx: ActionContext, department: str) -> str:
    head = department_head(ctx.session, department)
    ticket = ctx.ticket
    ticket.department, ticket.handler_login = department, head.login
    seen = ctx.session.scalar(select(TicketDepartment.id).where(
        TicketDepartment.ticket_id == ticket.id, TicketDepartment.department == department))
    if seen is None:
        ctx.session.add(TicketDepartment(ticket_id=ticket.id, department=department, at=to_utc(ctx.now)))
    return f"Передана в отдел {department}, начальник отдела {head.name} ({head.login})"


def _with(note: str, extra: str | None) -> str:
    return f"{note}. {extra}" if extra else note


def send_to_department(ctx: ActionContext, fields: f.DepartmentFields) -> Step:
    return Step(Stage.DEEP_REVIEW, _with(_to_department(ctx, fields.department), fields.note))


def redirect(ctx: ActionContext, fields: f.DepartmentFields) -> Step:
    if fields.department == ctx.ticket.department:
        raise Conflict(f"Претензия уже в отделе {fields.department}.",
                       f"The ticket is already in the department {fields.department}.")
    return Step(None, _with(_to_department(ctx, fields.department), fields.note))


def ask_client(ctx: ActionContext, fields: f.TextFields) -> Step:
    text = ctx.send(fields.text)
    ctx.ticket.waiting_for_client = True
    paused = pause(ctx.session, ctx.ticket, ctx.sla, ctx.now)
    # The pause has its own history row (so has the resume, when the client replies).
    return Step(None, f"Вопрос клиенту (ожидается ответ):\n{text}", then=((CLOCK_PAUSED, paused),) if paused else ())


def conclude(ctx: ActionContext, fields: f.ConcludeFields) -> Step:
    ticket = ctx.ticket
    row = _decision(ctx, kind="conclusion", department=ticket.department, causes=fields.causes,
                    conclusion=fields.conclusion, recommendations=list(fields.recommendations),
                    culprits_measures=fields.culprits_measures, needs_director=False, re_reviewed=False)
    ctx.session.flush()
    for text in fields.recommendations:
        ctx.session.add(Recommendation(ticket_id=ticket.id, decision_id=row.id, department=ticket.department,
                                       text=text, status="new", created_at=to_utc(ctx.now),
                                       created_by=ctx.actor.login))
    ticket.handler_login, ticket.waiting_for_client = ticket.assignee_login, False
    # Concluded without the client's answer: the wait is over, the paused clocks run again (moved on).
    resumed = resume(ctx.session, ticket, ctx.calendar, ctx.sla, ctx.now)
    note = f"Причины: {fields.causes}\nВыводы: {fields.conclusion}"
    if fields.recommendations:
        note += "\nРекомендации: " + "; ".join(fields.recommendations)
    if fields.culprits_measures:
        note += f"\nМеры в отношении виновных (на согласовании генерального директора): {fields.culprits_measures}"
    return Step(Stage.PROPOSAL, note, then=((CLOCK_RESUMED, resumed),) if resumed else ())


def _subscriber_head(ctx: ActionContext) -> str | None:
    head = first_active(ctx.session, "subscriber_head")
    return head.login if head else None


def _founded(founded: bool) -> str:
    return "обоснованна" if founded else "необоснованна"


def propose(ctx: ActionContext, fields: f.ProposeFields) -> Step:
    _decision(ctx, kind="proposal", founded=fields.founded, conclusion=fields.conclusion,
              recommendations=list(fields.recommendations), needs_director=False, re_reviewed=False)
    ctx.ticket.handler_login = _subscriber_head(ctx)
    note = f"Предварительное заключение: претензия {_founded(fields.founded)}. {fields.conclusion}"
    if fields.recommendations:
        note += "\nРекомендации: " + "; ".join(fields.recommendations)
    return Step(Stage.DECISION, note)


def decide(ctx: ActionContext, fields: f.DecideFields) -> Step:
    ticket = ctx.ticket
    re_reviewed = ticket.review_round > 0
    _decision(ctx, kind="decision", basis="re_review" if re_reviewed else "review", founded=fields.founded,
              conclusion=fields.conclusion, recommendations=[], needs_director=fields.needs_director,
              urgent_measures=fields.urgent_measures, re_reviewed=re_reviewed)
    title = "Пересмотренное решение" if re_reviewed else "Решение"
    note = f"{title}: претензия {_founded(fields.founded)}. {fields.conclusion}"
    if fields.urgent_measures:
        note += f"\nСрочные меры: {fields.urgent_measures}"
    if fields.needs_director:
        director = first_active(ctx.session, "director")
        ticket.director_pending, ticket.handler_login = True, director.login if director else None
        if director is not None:
            ctx.alert(director.login, APPROVAL_NEEDED, f"Решение по претензии {ticket.number} ждёт согласования")
        return Step(None, note + "\nНа согласовании генерального директора")
    ticket.handler_login = ticket.assignee_login
    return Step(Stage.INFORMING, note)


def _latest_decision(ctx: ActionContext) -> TicketDecision | None:
    return ctx.session.scalar(select(TicketDecision).where(
        TicketDecision.ticket_id == ctx.ticket.id, TicketDecision.kind == "decision",
    ).order_by(TicketDecision.id.desc()).limit(1))


def approve(ctx: ActionContext, fields: f.OptionalNoteFields) -> Step:
    decision = _latest_decision(ctx)
    if decision is not None:
        decision.approved_by, decision.approved_at = ctx.actor.login, to_utc(ctx.now)
    ctx.ticket.director_pending, ctx.ticket.handler_login = False, ctx.ticket.assignee_login
    ctx.settle_alerts(APPROVAL_NEEDED)
    return Step(Stage.INFORMING, _with("Решение согласовано генеральным директором", fields.note))


def send_back(ctx: ActionContext, fields: f.NoteFields) -> Step:
    ctx.ticket.director_pending, ctx.ticket.handler_login = False, _subscriber_head(ctx)
    ctx.settle_alerts(APPROVAL_NEEDED)
    return Step(None, f"Решение возвращено начальнику абонентского отдела: {fields.note}")


def approve_measures(ctx: ActionContext, fields: f.OptionalNoteFields) -> Step:
    rows = ctx.session.scalars(select(TicketDecision).where(
        TicketDecision.ticket_id == ctx.ticket.id, TicketDecision.culprits_measures.is_not(None),
        TicketDecision.measures_approved_at.is_(None)))
    measures = []
    for row in rows:
        row.measures_approved_by, row.measures_approved_at = ctx.actor.login, to_utc(ctx.now)
        measures.append(row.culprits_measures or "")
    return Step(None, _with("Меры в отношении виновных согласованы: " + "; ".join(measures), fields.note))


def inform(ctx: ActionContext, fields: f.OptionalTextFields) -> Step:
    decision = _latest_decision(ctx)
    re_reviewed = decision is not None and decision.re_reviewed
    if fields.text:
        body = fields.text
    elif decision is not None:
        body = decision_answer(ctx.ticket.number, bool(decision.founded), decision.conclusion, re_reviewed)
    else:
        raise Conflict("Нет решения, о котором сообщать клиенту.", "There is no decision to inform the client of.")
    text = ctx.send(body)
    _close(ctx)
    title = "Ответ клиенту по пересмотренному решению" if re_reviewed else "Ответ клиенту по решению"
    return Step(Stage.CLOSED, f"{title}:\n{text}")


def dispute(ctx: ActionContext, fields: f.NoteFields) -> Step:
    ticket = ctx.ticket
    ticket.status, ticket.closed_at, ticket.reopened_at = "open", None, to_utc(ctx.now)
    directors = active_of_role(ctx.session, "director")
    ticket.handler_login = directors[0].login if directors else None
    # The re-review clock starts (as routing does for a client's dispute reply).
    due = ctx.calendar.dispute_review_due(ctx.now)
    ticket.dispute_due = to_utc(due)
    timers.start(ctx.session, ctx.calendar, ctx.sla, ticket.id, {Clock.DISPUTE: due})
    for director in directors:
        ctx.alert(director.login, DISPUTE_ALERT, dispute_alert(ticket.number, ctx.actor.name))
    return Step(Stage.DISPUTE, f"Клиент оспаривает решение: {fields.note}")


def review_again(ctx: ActionContext, fields: f.OptionalDepartmentFields) -> Step:
    ticket = ctx.ticket
    ticket.review_round += 1
    ticket.director_pending = False
    ctx.settle_alerts(DISPUTE_ALERT)
    if fields.department:
        return Step(Stage.DEEP_REVIEW, _with("Пересмотр: " + _to_department(ctx, fields.department), fields.note))
    ticket.handler_login = _subscriber_head(ctx)
    return Step(Stage.DECISION, _with("Пересмотр решения начальником абонентского отдела", fields.note))


def uphold(ctx: ActionContext, fields: f.NoteFields) -> Step:
    ticket = ctx.ticket
    ticket.review_round += 1
    ctx.settle_alerts(DISPUTE_ALERT)
    previous = _latest_decision(ctx)
    _decision(ctx, kind="decision", basis="upheld", founded=previous.founded if previous else None,
              conclusion=previous.conclusion if previous else fields.note, recommendations=[],
              needs_director=False, re_reviewed=True, approved_by=ctx.actor.login, approved_at=to_utc(ctx.now))
    ticket.handler_login = ticket.assignee_login
    return Step(Stage.INFORMING, f"Решение оставлено в силе после пересмотра: {fields.note}")


def comment(ctx: ActionContext, fields: f.NoteFields) -> Step:
    return Step(None, fields.note)


def write_to_client(ctx: ActionContext, fields: f.TextFields) -> Step:
    return Step(None, f"Сообщение клиенту:\n{ctx.send(fields.text)}")


def reassign(ctx: ActionContext, fields: f.LoginFields) -> Step:
    note = _take(ctx, fields.login)
    ctx.announce(TicketEventType.ASSIGNED, "reassign")
    return Step(None, note, announced=True)


def _pending_claims(ctx: ActionContext) -> list[IdentityClaim]:
    """The ticket's pending identity claims, newest first; Conflict when there is none (any more)."""
    claims = list(ctx.session.scalars(select(IdentityClaim).where(
        IdentityClaim.ticket_id == ctx.ticket.id, IdentityClaim.status == ClaimStatus.PENDING.value,
    ).order_by(IdentityClaim.id.desc()).with_for_update()))
    if not claims:
        ru, en = "У претензии нет неподтверждённой личности клиента.", "The ticket has no pending identity claim."
        raise Conflict(ru, en)
    return claims


def _account(claim: IdentityClaim) -> str:
    return f"в чате ({claim.account_kind}, id {claim.account_value})"


def _settle_claims(ctx: ActionContext, claims: list[IdentityClaim], status: ClaimStatus) -> None:
    for claim in claims:
        claim.status, claim.resolved_at, claim.resolved_by = status.value, to_utc(ctx.now), ctx.actor.login


CONFIRMED_TEXT = "Спасибо, личность подтверждена. Претензия {number} передана вашему персональному менеджеру."


def confirm_identity(ctx: ActionContext, fields: f.OptionalNoteFields) -> Step:
    """The account is the client's (checked by staff, e.g. by a call to the phone of the contract): it is linked
    to the client, the ticket goes to the client's manager, and the client is told in the chat."""
    claims = _pending_claims(ctx)
    claim, ticket = claims[0], ctx.ticket
    client = ctx.session.get(Client, claim.client_id)
    assert client is not None, "a claim names an existing client (foreign key)"
    owner = ctx.session.scalar(select(ClientIdentity.client_id).where(
        ClientIdentity.kind == claim.account_kind, ClientIdentity.value == claim.account_value))
    if owner is not None and owner != client.id:
        raise Conflict("Этот аккаунт уже привязан к другому клиенту: подтвердить личность нельзя.",
                       "The account is already linked to another client.")
    if owner is None:
        ctx.session.add(ClientIdentity(client_id=client.id, kind=claim.account_kind, value=claim.account_value))
    _settle_claims(ctx, [claim], ClaimStatus.CONFIRMED)
    _settle_claims(ctx, claims[1:], ClaimStatus.SUPERSEDED)
    ticket.client_id = client.id
    note = (f"Личность подтверждена сотрудником: аккаунт {_account(claim)} привязан к клиенту {client.name} "
            f"(договор {client.contract_number})")
    to: Stage | None = None
    announced = False
    if ticket.assignee_login is None:
        assignment = assignment_of(ctx.session, client)
        ticket.assignee_login, ticket.queue = assignment.assignee, assignment.queue
        note += f". Назначено: {assignment.assignee or 'очередь ' + assignment.queue} ({assignment.reason})"
        if assignment.assignee is not None:
            ticket.handler_login, to = assignment.assignee, Stage.PRIMARY_REVIEW
            ctx.announce(TicketEventType.ASSIGNED, "confirm_identity")
            announced = True
    ctx.send(CONFIRMED_TEXT.format(number=ticket.number))
    return Step(to, _with(note, fields.note), announced=announced)


def reject_identity(ctx: ActionContext, fields: f.OptionalNoteFields) -> Step:
    """Not the client's account (or it could not be checked): the claim is closed, nothing is linked; the ticket
    stays where it is, without a client."""
    claims = _pending_claims(ctx)
    client = ctx.session.get(Client, claims[0].client_id)
    _settle_claims(ctx, claims, ClaimStatus.REJECTED)
    contract = client.contract_number if client is not None else "?"
    return Step(None, _with(f"Личность не подтверждена: аккаунт {_account(claims[0])} не привязан к договору "
                            f"{contract}", fields.note))


HANDLERS: dict[str, Handler] = {
    "assign": assign, "acknowledge": acknowledge, "answer_unfounded": answer_unfounded,
    "send_to_department": send_to_department, "ask_client": ask_client, "redirect": redirect,
    "conclude": conclude, "propose": propose, "decide": decide, "approve": approve, "send_back": send_back,
    "approve_measures": approve_measures, "inform": inform, "dispute": dispute, "review_again": review_again,
    "uphold": uphold, "comment": comment, "write_to_client": write_to_client, "reassign": reassign,
    "confirm_identity": confirm_identity, "reject_identity": reject_identity,
}
