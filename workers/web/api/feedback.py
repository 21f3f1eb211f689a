"""REST API of the web channel: POST /api/v1/feedback and the submission status."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import Channel
from channels.web import WebFeedback, parse_feedback
from router.models import ApiRequest, Delivery, Outbox, Submission, Ticket
from router.timeutil import aware, utcnow
from workers.app.runtime import database_unavailable
from workers.bus.publish import IntakeUnavailable, hand_off
from workers.channels.senders.web_status import CHANNEL as WEB_STATUS_CHANNEL
from workers.web.api import idempotency
from workers.web.api.auth import api_caller, require_scope
from workers.web.api.body import json_object
from workers.web.deps import BrokerDep, DatabaseDep, SessionDep
from workers.web.errors import ApiError, validation_error

log = logging.getLogger("complaints.web.feedback")
router = APIRouter(prefix="/api/v1", tags=["api"], dependencies=[Depends(api_caller)])

FeedbackClientDep = Annotated[str, Depends(require_scope("feedback"))]
"""The API client's name, if its token has the scope feedback (checked before the key and the body)."""

_FEEDBACK_DOC = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": WebFeedback.model_json_schema()}}},
    "parameters": [{
        "name": idempotency.HEADER, "in": "header", "required": True,
        "schema": {"type": "string", "pattern": idempotency.KEY_PATTERN.pattern},
    }],
}


def status_url(submission_id: str) -> str:
    return f"/api/v1/submissions/{submission_id}"


async def _feedback_body(request: Request) -> WebFeedback:
    """Parsed here, not by FastAPI, so authentication and the key are checked before the body."""
    lead = ("Претензия не принята.", "The complaint was not accepted.")
    data = await json_object(request, lead)
    if data is None:
        raise validation_error([{"type": "missing", "loc": ("body",)}], *lead)
    try:
        return WebFeedback.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc.errors(include_url=False, include_input=False), *lead) from None


@router.post("/feedback", status_code=202, openapi_extra=_FEEDBACK_DOC)
async def submit_feedback(
    request: Request,
    client_name: FeedbackClientDep,
    database: DatabaseDep,
    broker: BrokerDep,
    key: str = Depends(idempotency.idempotency_key),
) -> JSONResponse:
    feedback = await _feedback_body(request)
    raw = parse_feedback(feedback, idempotency_key=key, api_client=client_name, received_at=utcnow())
    fingerprint = idempotency.body_fingerprint(raw.payload)
    claim: idempotency.Claim | None
    try:
        claim = await idempotency.claim(database, client_name, key, fingerprint, str(raw.submission_id))
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        # The database is away: the complaint is still taken (the stream dedupes the key, the router the
        # native id); only a different body under a reused key goes unnoticed until the database is back.
        log.warning("feedback: accepted without the idempotency record (database unavailable: %s)",
                    type(exc).__name__)
        claim = None
    try:
        await hand_off(broker, raw)
    except IntakeUnavailable:
        if claim is not None:
            await idempotency.release(database, claim)
        raise ApiError(
            503,
            "Претензия не принята: очередь временно недоступна. Повторите запрос с тем же Idempotency-Key.",
            "The complaint was not accepted: the queue is temporarily unavailable. "
            "Retry with the same Idempotency-Key.",
            headers={"Retry-After": "10"},
        ) from None
    submission_id = claim.submission_id if claim is not None else str(raw.submission_id)
    url = status_url(submission_id)
    return JSONResponse(
        {"submission_id": submission_id, "status": "accepted", "status_url": url},
        status_code=202,
        headers={"Location": url},
    )


async def published_answers(session: AsyncSession, ticket_id: int) -> list[dict[str, str]]:
    """The replies the deliver worker published in the status (workers.channels.senders.web_status), oldest
    first: what the personal account shows the client."""
    rows = await session.execute(
        select(Delivery.at, Outbox.payload).join(Outbox, Outbox.id == Delivery.outbox_id)
        .where(Delivery.ticket_id == ticket_id, Delivery.channel == WEB_STATUS_CHANNEL, Delivery.status == "sent")
        .order_by(Delivery.at, Delivery.id)
    )
    return [{"at": aware(at).isoformat(), "text": str(payload.get("text", ""))} for at, payload in rows]


def _not_found_submission() -> ApiError:
    return ApiError(404, "Обращение не найдено.", "The submission was not found.")


@router.get("/submissions/{submission_id}")
async def submission_status(
    submission_id: str, client_name: FeedbackClientDep, session: SessionDep
) -> dict[str, object]:
    try:
        sid = str(uuid.UUID(submission_id))
    except ValueError:
        raise _not_found_submission() from None
    # An API client sees only what it submitted itself.
    mine = await session.scalar(
        select(ApiRequest.id).where(ApiRequest.api_client == client_name, ApiRequest.submission_id == sid)
    ) or await session.scalar(  # taken while the database was away: no request record, the native id tells
        select(Submission.id).where(Submission.id == sid, Submission.channel == Channel.WEB.value,
                                    Submission.native_id.startswith(f"{client_name}:", autoescape=True))
    )
    if mine is None:
        raise _not_found_submission()
    ticket = (await session.execute(
        select(Ticket.id, Ticket.number, Ticket.status).join(Submission, Submission.ticket_id == Ticket.id)
        .where(Submission.id == sid)
    )).first()
    if ticket is None:
        return {"submission_id": sid, "status": "accepted", "ticket_number": None, "answers": []}
    return {"submission_id": sid, "status": "registered", "ticket_number": ticket.number,
            "ticket_status": ticket.status, "answers": await published_answers(session, ticket.id)}
