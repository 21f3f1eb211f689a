"""The review process as data: every action, who may take it, at which stages, where it leads.

`Party` is how an actor stands to a ticket (router.review.access.parties_of): the owner manager (or the
acting deputy of an absent owner), the head of the department the ticket is in, the heads, the director.
`Requirement` is a condition of the ticket's state beyond its stage (a Conflict when unmet).
router.review.actions holds what each action does; router.workflow.TRANSITIONS is derived from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from router.review import fields as f
from router.workflow import Stage


class Party(StrEnum):
    OWNER = "owner"  # the ticket's manager, or the deputy of an inactive one
    MANAGER = "manager"  # any manager: may take a ticket of the queue
    DEPARTMENT_HEAD = "department_head"  # the head of the department the ticket is in
    SUBSCRIBER_HEAD = "subscriber_head"
    DIRECTOR = "director"
    ADMIN = "admin"
    STAFF = "staff"  # anyone with record access who may write (not an operator)


class Requirement(StrEnum):
    HAS_OWNER = "has_owner"
    ACKNOWLEDGED = "acknowledged"
    DIRECTOR_PENDING = "director_pending"
    NOT_DIRECTOR_PENDING = "not_director_pending"
    MEASURES_PENDING = "measures_pending"
    IDENTITY_CLAIM_PENDING = "identity_claim_pending"


REQUIREMENT_MESSAGES: dict[Requirement, tuple[str, str]] = {
    Requirement.HAS_OWNER: ("У претензии нет персонального менеджера: сначала назначьте её менеджеру.",
                            "The ticket has no manager: assign it first."),
    Requirement.ACKNOWLEDGED: ("Сначала подтвердите клиенту приём претензии (срок — 5 рабочих дней), "
                               "затем передавайте её в отдел.",
                               "Acknowledge the complaint to the client before sending it to a department."),
    Requirement.DIRECTOR_PENDING: ("Решение не ожидает согласования генерального директора.",
                                   "The decision is not waiting for the director's approval."),
    Requirement.NOT_DIRECTOR_PENDING: ("Решение ожидает согласования генерального директора.",
                                       "The decision is waiting for the director's approval."),
    Requirement.MEASURES_PENDING: ("Нет мер в отношении виновных, ожидающих согласования.",
                                   "No measures for culprits await approval."),
    Requirement.IDENTITY_CLAIM_PENDING: ("У претензии нет неподтверждённой личности клиента.",
                                         "The ticket has no identity claim to confirm or reject."),
}

ALL_STAGES = frozenset(Stage)
AFTER_CONCLUSION = frozenset({Stage.DEEP_REVIEW, Stage.PROPOSAL, Stage.DECISION, Stage.INFORMING,
                              Stage.CLOSED, Stage.DISPUTE})


@dataclass(frozen=True)
class ActionSpec:
    name: str
    title_ru: str
    parties: frozenset[Party]
    stages: frozenset[Stage]
    fields: type[f.Fields]
    moves_to: frozenset[Stage] = frozenset()  # empty: the stage stays
    requires: tuple[Requirement, ...] = ()


def _spec(name: str, title_ru: str, parties: set[Party], stages: set[Stage] | frozenset[Stage],
          fields: type[f.Fields], moves_to: set[Stage] | None = None,
          requires: tuple[Requirement, ...] = ()) -> ActionSpec:
    return ActionSpec(name, title_ru, frozenset(parties), frozenset(stages), fields,
                      frozenset(moves_to or ()), requires)


P, S, R = Party, Stage, Requirement

ACTIONS: dict[str, ActionSpec] = {spec.name: spec for spec in (
    _spec("assign", "Назначить менеджера", {P.SUBSCRIBER_HEAD, P.ADMIN, P.MANAGER}, {S.REGISTERED},
          f.LoginFields, {S.PRIMARY_REVIEW}),
    # Routing moves a ticket of a personal manager on to primary_review (migration 0006: stored ones too).
    _spec("acknowledge", "Подтвердить приём", {P.OWNER}, {S.PRIMARY_REVIEW},
          f.OptionalTextFields, {S.PRIMARY_REVIEW}, (R.HAS_OWNER,)),
    _spec("answer_unfounded", "Ответить: претензия необоснованна", {P.OWNER}, {S.PRIMARY_REVIEW},
          f.TextFields, {S.CLOSED}, (R.HAS_OWNER,)),
    _spec("send_to_department", "Передать в отдел", {P.OWNER}, {S.PRIMARY_REVIEW}, f.DepartmentFields,
          {S.DEEP_REVIEW}, (R.ACKNOWLEDGED,)),
    _spec("ask_client", "Задать вопрос клиенту", {P.DEPARTMENT_HEAD, P.OWNER}, {S.DEEP_REVIEW}, f.TextFields),
    _spec("redirect", "Передать в другой отдел", {P.DEPARTMENT_HEAD}, {S.DEEP_REVIEW}, f.DepartmentFields),
    _spec("conclude", "Выводы глубокой обработки", {P.DEPARTMENT_HEAD}, {S.DEEP_REVIEW}, f.ConcludeFields,
          {S.PROPOSAL}),
    _spec("propose", "Предложения менеджера", {P.OWNER}, {S.PROPOSAL}, f.ProposeFields, {S.DECISION}),
    _spec("decide", "Принять решение", {P.SUBSCRIBER_HEAD}, {S.DECISION}, f.DecideFields, {S.INFORMING},
          (R.NOT_DIRECTOR_PENDING,)),
    _spec("approve", "Согласовать решение", {P.DIRECTOR}, {S.DECISION}, f.OptionalNoteFields, {S.INFORMING},
          (R.DIRECTOR_PENDING,)),
    _spec("send_back", "Вернуть на доработку", {P.DIRECTOR}, {S.DECISION}, f.NoteFields, set(),
          (R.DIRECTOR_PENDING,)),
    _spec("approve_measures", "Согласовать меры к виновным", {P.DIRECTOR}, AFTER_CONCLUSION,
          f.OptionalNoteFields, set(), (R.MEASURES_PENDING,)),
    _spec("inform", "Сообщить решение клиенту", {P.OWNER}, {S.INFORMING}, f.OptionalTextFields, {S.CLOSED}),
    _spec("dispute", "Клиент оспаривает решение", {P.STAFF}, {S.CLOSED}, f.NoteFields, {S.DISPUTE}),
    _spec("review_again", "Пересмотреть", {P.DIRECTOR}, {S.DISPUTE}, f.OptionalDepartmentFields,
          {S.DEEP_REVIEW, S.DECISION}),
    _spec("uphold", "Оставить решение в силе", {P.DIRECTOR}, {S.DISPUTE}, f.NoteFields, {S.INFORMING}),
    _spec("comment", "Комментарий", {P.STAFF}, ALL_STAGES, f.NoteFields),
    _spec("write_to_client", "Написать клиенту", {P.OWNER}, ALL_STAGES, f.TextFields),
    # A chat account named a client's number without proof (router.identity_claims): whoever works the queue
    # confirms it (the account is linked, the ticket goes to the client's manager) or rejects it.
    _spec("confirm_identity", "Подтвердить личность", {P.SUBSCRIBER_HEAD, P.ADMIN, P.MANAGER},
          {S.REGISTERED, S.PRIMARY_REVIEW}, f.OptionalNoteFields, {S.PRIMARY_REVIEW}, (R.IDENTITY_CLAIM_PENDING,)),
    _spec("reject_identity", "Отклонить: личность не подтверждена", {P.SUBSCRIBER_HEAD, P.ADMIN, P.MANAGER},
          {S.REGISTERED, S.PRIMARY_REVIEW}, f.OptionalNoteFields, set(), (R.IDENTITY_CLAIM_PENDING,)),
    # A ticket of the queue (registered) is given to a manager with assign, which starts its primary review.
    _spec("reassign", "Передать другому менеджеру", {P.SUBSCRIBER_HEAD, P.ADMIN}, ALL_STAGES - {S.REGISTERED},
          f.LoginFields),
)}


def transitions() -> dict[Stage, frozenset[Stage]]:
    """Which stage may follow which, derived from ACTIONS."""
    return {stage: frozenset(target for spec in ACTIONS.values() if stage in spec.stages
                             for target in spec.moves_to if target != stage)
            for stage in Stage}
