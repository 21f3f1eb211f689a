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

# Which stage may follow which; the review-process issue adds who may move it and why.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.REGISTERED: frozenset({Stage.PRIMARY_REVIEW}),
    Stage.PRIMARY_REVIEW: frozenset({Stage.DEEP_REVIEW, Stage.INFORMING}),
    Stage.DEEP_REVIEW: frozenset({Stage.PROPOSAL}),
    Stage.PROPOSAL: frozenset({Stage.DECISION}),
    Stage.DECISION: frozenset({Stage.INFORMING}),
    Stage.INFORMING: frozenset({Stage.CLOSED}),
    Stage.CLOSED: frozenset({Stage.DISPUTE}),
    Stage.DISPUTE: frozenset({Stage.DEEP_REVIEW, Stage.DECISION}),
}


def can_move(current: Stage, target: Stage) -> bool:
    return target in TRANSITIONS[current]
