"""Who may see a ticket at all ("record" access), and how an actor stands to it (machine.Party). Pure.

| operator | read-only: tickets of the client they are serving |
| manager | tickets they own, those of an absent (inactive) colleague whose deputy they are, the queue |
| department_head | tickets that are, or were, in their department's deep review |
| subscriber_head, director, admin | all tickets |
"""

from __future__ import annotations

from dataclasses import dataclass

from router.models import Staff, Ticket
from router.review.machine import Party
from router.workflow import Stage

EVERYTHING = frozenset({"subscriber_head", "director", "admin"})


@dataclass(frozen=True)
class TicketFacts:
    """What access and the requirements need beyond the ticket row (router.review.facts.load_facts)."""

    owner: Staff | None = None  # the Staff row of ticket.assignee_login
    departments: frozenset[str] = frozenset()  # departments that had the ticket in deep review
    measures_pending: bool = False  # culprits' measures await the director's approval
    identity_claim_pending: bool = False  # a chat account's claim to be a client waits (router.identity_claims)


def acting_owner(staff: Staff, ticket: Ticket, facts: TicketFacts) -> bool:
    """The owner manager, or the deputy of an owner who is away (inactive)."""
    if staff.role != "manager" or not staff.active or ticket.assignee_login is None:
        return False
    if ticket.assignee_login == staff.login:
        return True
    owner = facts.owner
    return owner is not None and not owner.active and owner.deputy_login == staff.login


def in_queue(ticket: Ticket) -> bool:
    return ticket.assignee_login is None and ticket.stage == Stage.REGISTERED.value


def can_view(staff: Staff, ticket: Ticket, facts: TicketFacts, serving_client_id: int | None = None) -> bool:
    if not staff.active:
        return False
    if staff.role in EVERYTHING:
        return True
    if staff.role == "operator":
        return serving_client_id is not None and ticket.client_id == serving_client_id
    if staff.role == "manager":
        return acting_owner(staff, ticket, facts) or in_queue(ticket)
    if staff.role == "department_head":
        return ticket.department == staff.department or staff.department in facts.departments
    return False


def parties_of(staff: Staff, ticket: Ticket, facts: TicketFacts) -> frozenset[Party]:
    """How the actor stands to the ticket; empty when they may not act on it (no access, or read-only)."""
    if not can_view(staff, ticket, facts) or staff.role == "operator":
        return frozenset()
    parties = {Party.STAFF}
    if staff.role == "manager":
        parties.add(Party.MANAGER)
        if acting_owner(staff, ticket, facts):
            parties.add(Party.OWNER)
    elif staff.role == "department_head" and ticket.department == staff.department:
        parties.add(Party.DEPARTMENT_HEAD)
    elif staff.role == "subscriber_head":
        parties.add(Party.SUBSCRIBER_HEAD)
    elif staff.role == "director":
        parties.add(Party.DIRECTOR)
    elif staff.role == "admin":
        parties.add(Party.ADMIN)
    return frozenset(parties)
