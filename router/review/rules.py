"""Action permission = record access AND the action's role rule AND the stage rule (and its requirements)."""

from __future__ import annotations

from router.models import Staff, Ticket
from router.review.access import TicketFacts, can_view, parties_of
from router.review.errors import Conflict, Forbidden, NotFound
from router.review.machine import ACTIONS, REQUIREMENT_MESSAGES, ActionSpec, Requirement
from router.workflow import STAGE_TITLES_RU, Stage


def requirement_met(requirement: Requirement, ticket: Ticket, facts: TicketFacts) -> bool:
    match requirement:
        case Requirement.HAS_OWNER:
            return ticket.assignee_login is not None
        case Requirement.ACKNOWLEDGED:
            return ticket.acknowledged_at is not None
        case Requirement.DIRECTOR_PENDING:
            return bool(ticket.director_pending)
        case Requirement.NOT_DIRECTOR_PENDING:
            return not ticket.director_pending
        case Requirement.MEASURES_PENDING:
            return facts.measures_pending
        case Requirement.IDENTITY_CLAIM_PENDING:
            return facts.identity_claim_pending


def spec_of(action: str) -> ActionSpec:
    spec = ACTIONS.get(action)
    if spec is None:
        raise NotFound(f"Нет такого действия: {action}.", f"No such action: {action}.")
    return spec


def check(staff: Staff, ticket: Ticket, facts: TicketFacts, spec: ActionSpec) -> None:
    """Raise Forbidden (record or role) or Conflict (stage or requirement); return when allowed."""
    if not can_view(staff, ticket, facts):
        raise Forbidden(f"У вас нет доступа к претензии {ticket.number}.",
                        f"You have no access to ticket {ticket.number}.")
    if not parties_of(staff, ticket, facts) & spec.parties:
        raise Forbidden(f"Действие «{spec.title_ru}» по претензии {ticket.number} вам не разрешено.",
                        f"Your role may not take the action '{spec.name}' on ticket {ticket.number}.")
    stage = Stage(ticket.stage)
    if stage not in spec.stages:
        raise Conflict(f"Действие «{spec.title_ru}» недоступно на этапе «{STAGE_TITLES_RU[stage]}».",
                       f"The action '{spec.name}' is not available at the stage '{stage.value}'.")
    for requirement in spec.requires:
        if not requirement_met(requirement, ticket, facts):
            ru, en = REQUIREMENT_MESSAGES[requirement]
            raise Conflict(ru, en)


def allowed_actions(staff: Staff, ticket: Ticket, facts: TicketFacts) -> list[str]:
    """The actions the staff member may take on the ticket now, in the table's order."""
    allowed = []
    for name, spec in ACTIONS.items():
        try:
            check(staff, ticket, facts, spec)
        except (Forbidden, Conflict):
            continue
        allowed.append(name)
    return allowed
