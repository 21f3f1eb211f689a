"""perform(): one action on one ticket, inside the caller's transaction (history, outbox, ticket together)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.orm import Session

from router.calendar import BusinessCalendar
from router.contracts import TicketEventType
from router.models import Staff, Ticket, TicketHistory
from router.review.access import TicketFacts
from router.review.actions import HANDLERS
from router.review.context import ActionContext
from router.review.errors import Forbidden, InvalidFields
from router.review.facts import load_facts, load_staff, load_ticket
from router.review.rules import allowed_actions, check, spec_of
from router.sla.pause import CLOCK_RESUMED, resume
from router.sla.policy import SlaPolicy
from router.timeutil import to_utc

DEFAULT_TZ = ZoneInfo("Europe/Moscow")
# The history of a client's reply that ended a wait (router.routing writes the same, batched).
CLIENT_REPLIED = "client_replied"
CLIENT_REPLIED_NOTE = "Клиент ответил на вопрос"


def _actor(session: Session, login: str) -> Staff:
    staff = load_staff(session, login)
    if staff is None or not staff.active:
        raise Forbidden("Нет такого действующего сотрудника.", f"No active staff member {login}.")
    return staff


def perform(
    session: Session, number: str, actor_login: str, action: str, fields: dict[str, Any], now: datetime,
    via: str | None = None, *, tz: ZoneInfo | None = None, calendar: BusinessCalendar | None = None,
    sla: SlaPolicy | None = None,
) -> Ticket:
    """Take `action` on ticket `number` as `actor_login` (via the API client `via`, if any).

    Raises NotFound, Forbidden (record access or role), Conflict (stage or state), InvalidFields (the
    action's fields). Writes only into `session`: the caller commits, or rolls back on any error.
    Returns the updated ticket.
    """
    spec = spec_of(action)
    ticket = load_ticket(session, number)
    actor = _actor(session, actor_login)
    facts = load_facts(session, ticket)
    check(actor, ticket, facts, spec)
    try:
        values = spec.fields.model_validate(fields)
    except ValidationError as error:
        raise InvalidFields(
            f"Проверьте поля действия «{spec.title_ru}».", f"Invalid fields for the action '{spec.name}'.",
            [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()],
        ) from error
    from_stage = ticket.stage
    calendar = calendar or BusinessCalendar(timezone=str(tz or DEFAULT_TZ))
    context = ActionContext(session, ticket, actor, facts, now, tz or calendar.tz, via, calendar, sla or SlaPolicy())
    step = HANDLERS[spec.name](context, values)
    if step.to is not None:
        assert step.to in spec.moves_to, f"{spec.name} may not lead to {step.to}"
        ticket.stage = step.to.value
    context.history(spec.name, from_stage, step.note)
    for action_then, note in step.then:
        context.history(action_then, ticket.stage, note)
    # Every action is announced, so a downstream ticket system can mirror the ticket from events alone.
    if ticket.stage != from_stage:
        context.announce(TicketEventType.STAGE_CHANGED, spec.name)
    elif not step.announced:
        context.announce(TicketEventType.UPDATED, spec.name)
    session.flush()
    return ticket


def client_replied(session: Session, ticket: Ticket, now: datetime, calendar: BusinessCalendar | None = None,
                   sla: SlaPolicy | None = None) -> bool:
    """A client's message threaded into a ticket that waits for the client: the wait ends (history
    "client_replied") and the paused clocks resume, their due dates moved (history "clock_resumed").
    Returns whether the ticket was waiting. Inside the caller's transaction; router.routing does the same
    for the messages it routes, batched."""
    if not ticket.waiting_for_client:
        return False
    ticket.waiting_for_client = False
    session.add(TicketHistory(ticket_id=ticket.id, at=to_utc(now), actor="client", action=CLIENT_REPLIED,
                              from_stage=ticket.stage, to_stage=ticket.stage, note=CLIENT_REPLIED_NOTE))
    note = resume(session, ticket, calendar or BusinessCalendar(), sla or SlaPolicy(), now)
    if note:
        session.add(TicketHistory(ticket_id=ticket.id, at=to_utc(now), actor="client", action=CLOCK_RESUMED,
                                  from_stage=ticket.stage, to_stage=ticket.stage, note=note))
    return True


def facts_for(session: Session, number: str) -> tuple[Ticket, TicketFacts]:
    """The ticket and its facts, for can_view() and allowed_actions() (read-only callers)."""
    ticket = load_ticket(session, number)
    return ticket, load_facts(session, ticket)


def actions_for(session: Session, number: str, login: str) -> list[str]:
    """allowed_actions() of a staff member on a ticket, read from the store; [] for an unknown actor."""
    ticket, facts = facts_for(session, number)
    staff = load_staff(session, login)
    return allowed_actions(staff, ticket, facts) if staff is not None else []



