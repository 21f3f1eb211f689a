"""The review process of a ticket (process document, ARCHITECTURE §4): the state machine as data
(machine.ACTIONS), record access (access.can_view), and perform(), one action in one transaction.

For the web and REST layers: perform, allowed_actions, can_view, actions_for, facts_for, client_replied,
and the errors (NotFound 404, Forbidden 403, Conflict 409, InvalidFields 422; `error` in Russian,
`error_en` in English).
"""

from router.review.access import TicketFacts, can_view
from router.review.errors import Conflict, Forbidden, InvalidFields, NotFound, ReviewError
from router.review.machine import ACTIONS, ActionSpec, Party, Requirement, transitions
from router.review.perform import actions_for, client_replied, facts_for, perform
from router.review.rules import allowed_actions

__all__ = [
    "ACTIONS", "ActionSpec", "Conflict", "Forbidden", "InvalidFields", "NotFound", "Party", "Requirement",
    "ReviewError", "TicketFacts", "actions_for", "allowed_actions", "can_view", "client_replied", "facts_for",
    "perform", "transitions",
]
