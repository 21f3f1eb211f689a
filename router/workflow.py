"""The review process a ticket follows (process document, ARCHITECTURE §4)."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    REGISTERED = "registered"
    PRIMARY_REVIEW = "primary_review"
    DEEP_REVIEW = "deep_review"
    PROPOSAL = "proposal"
    DECISION = "decision"
    INFORMING = "informing"
    DISPUTE = "dispute"
    CLOSED = "closed"


STAGE_TITLES_RU: dict[Stage, str] = {
    Stage.REGISTERED: "Зарегистрирована",
    Stage.PRIMARY_REVIEW: "Первичная обработка",
    Stage.DEEP_REVIEW: "Глубокая обработка",
    Stage.PROPOSAL: "Предложения по результатам",
    Stage.DECISION: "Принятие решения",
    Stage.INFORMING: "Информирование клиента",
    Stage.DISPUTE: "Оспаривание решения",
    Stage.CLOSED: "Закрыта",
}

# Which stage may follow which, and who may move it, is the data of router.review.machine (ACTIONS);
# router.review.machine.transitions() derives the stage graph from it.


def can_move(current: Stage, target: Stage) -> bool:
    from router.review.machine import transitions  # the table imports Stage from here

    return target in transitions()[current]
