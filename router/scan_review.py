"""Scanned letters and who sent them: the client is taken automatically only on an exact contract or
account number with a matching name (router.scan_match.decide) and a good OCR; otherwise the ticket waits
in «Проверка скана» (a scan_reviews row) until a person confirms or corrects the client, and only then
goes on to the personal manager. Nothing is sent to an unconfirmed sender."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from normalizer.event import ComplaintEvent, ScanFields
from router.assignment import Assigner
from router.contracts import TicketEventType
from router.models import Client, ScanReview, Staff, Ticket
from router.review.context import ActionContext
from router.review.errors import Conflict, Forbidden, InvalidFields, NotFound
from router.review.facts import load_facts, load_staff
from router.scan_match import candidate_rows, decide, rank_candidates
from router.timeutil import to_utc
from router.workflow import Stage

# Who confirms a scan's sender: the post room (operators), the subscriber department, admins.
VERIFIERS = frozenset({"operator", "subscriber_head", "manager", "admin"})
SCAN_VERIFIED = "scan_verified"


@dataclass(frozen=True)
class Assessment:
    client_id: int | None  # accepted automatically
    review: dict[str, Any] | None  # else the scan_reviews row to write (without ticket_id)


def assess(session: Session, event: ComplaintEvent, now: datetime) -> Assessment:
    """Decide a scan's client, or what a person must check."""
    facts = event.scan
    assert facts is not None, "only for scans"
    candidates = rank_candidates(facts.fields, candidate_rows(session, facts.fields))
    decision = decide(facts.fields, candidates)
    if decision.accept and not facts.needs_verification:
        return Assessment(decision.client_id, None)
    reasons = list(facts.reasons)
    if not decision.accept and decision.reason not in reasons:
        reasons.append(decision.reason)
    return Assessment(None, {
        "created_at": to_utc(now), "status": "pending", "mean_confidence": facts.mean_confidence,
        "reasons": reasons, "fields": facts.fields.model_dump(mode="json"),
        "candidates": [asdict(candidate) for candidate in candidates], "page_keys": list(facts.page_keys),
        "blob_key": facts.blob_key, "confirmed_by": None, "confirmed_at": None,
    })


def _verifier(session: Session, login: str) -> Staff:
    staff = load_staff(session, login)
    if staff is None or not staff.active or staff.role not in VERIFIERS:
        raise Forbidden("Подтверждать отправителя скана может почтовое отделение или абонентский отдел.",
                        "Only the post room or the subscriber department confirm a scan's sender.")
    return staff


def confirm(session: Session, number: str, login: str, client_id: int, fields: dict[str, str | None],
            now: datetime, tz: ZoneInfo) -> Ticket:
    """The person's answer: this client sent it (the fields as corrected). The ticket goes on to the
    client's personal manager (primary review), as routing would have sent it."""
    staff = _verifier(session, login)
    ticket = session.scalar(select(Ticket).where(Ticket.number == number).with_for_update())
    review = session.scalar(select(ScanReview).where(ScanReview.ticket_id == ticket.id)) if ticket else None
    if ticket is None or review is None:
        raise NotFound(f"Скан претензии {number} не найден.", f"No scan to verify for {number}.")
    if review.status != "pending":
        raise Conflict("Отправитель этого скана уже подтверждён.", "This scan's sender is already confirmed.")
    client = session.get(Client, client_id)
    if client is None:
        raise InvalidFields("Выберите клиента из справочника.", "Pick a client of the directory.",
                            [{"loc": ["client_id"], "msg": "unknown client", "type": "value_error"}])
    corrected = ScanFields.model_validate({**review.fields, **{k: v or None for k, v in fields.items()}})
    assignment = Assigner(session).assign(client)
    ticket.client_id, ticket.assignee_login, ticket.queue = client.id, assignment.assignee, assignment.queue
    review.status, review.confirmed_by, review.confirmed_at = "confirmed", staff.login, to_utc(now)
    review.fields = corrected.model_dump(mode="json")
    context = ActionContext(session, ticket, staff, load_facts(session, ticket), now, tz)
    context.history(SCAN_VERIFIED, ticket.stage,
                    f"Отправитель подтверждён: {client.name}, договор {client.contract_number}. "
                    f"Назначено: {assignment.assignee or 'очередь ' + assignment.queue} ({assignment.reason})")
    context.announce(TicketEventType.ASSIGNED, SCAN_VERIFIED)
    if assignment.assignee is not None and ticket.stage == Stage.REGISTERED.value:
        ticket.stage, ticket.handler_login = Stage.PRIMARY_REVIEW.value, assignment.assignee
        context.history("primary_review", Stage.REGISTERED.value, "Первичная обработка: персональный менеджер")
        context.announce(TicketEventType.STAGE_CHANGED, SCAN_VERIFIED)
    session.flush()
    return ticket
