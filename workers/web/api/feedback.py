"""REST API of the web channel: POST /api/v1/feedback and the submission status."""

from __future__ import annotations

import asyncio
import contextlib
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
from router.models import Delivery, Outbox, Submission, Ticket
from router.timeutil import aware, utcnow
from workers.bus.publish import PUBLISH_TIMEOUT, IntakeUnavailable, hand_off
from workers.bus.shunt import jetstream_of
from workers.channels.senders.web_status import CHANNEL as WEB_STATUS_CHANNEL
from workers.web.api import idempotency
from workers.web.api.auth import api_caller, require_scope
from workers.web.api.body import json_object
from workers.web.deps import BrokerDep, SessionDep
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


def _queue_unavailable() -> ApiError:
    return ApiError(
        503,
        "Претензия не принята: очередь временно недоступна. Повторите запрос с тем же Idempotency-Key.",
        "The complaint was not accepted: the queue is temporarily unavailable. "
        "Retry with the same Idempotency-Key.",
        headers={"Retry-After": "10"},
    )


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
    broker: BrokerDep,
    key: str = Depends(idempotency.idempotency_key),
) -> JSONResponse:
    feedback = await _feedback_body(request)
    raw = parse_feedback(feedback, idempotency_key=key, api_client=client_name, received_at=utcnow())
    fingerprint = idempotency.body_fingerprint(raw.payload)
    js = jetstream_of(broker)
    try:
        claim = await asyncio.wait_for(
            idempotency.claim(js, client_name, fingerprint, str(raw.submission_id)), PUBLISH_TIMEOUT)
    except ApiError:
        raise
    except Exception as exc:  # the broker is away or too slow: nothing was recorded or published
        log.warning("feedback: the request record could not be written: %s", type(exc).__name__)
        raise _queue_unavailable() from None
    try:
        await hand_off(broker, raw)
    except IntakeUnavailable:
        with contextlib.suppress(Exception):  # if even this fails, a retry with the same body is still a resend
            await asyncio.wait_for(idempotency.release(js, claim), PUBLISH_TIMEOUT)
        raise _queue_unavailable() from None
    submission_id = claim.submission_id
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


def _queue_unavailable_status() -> ApiError:
    return ApiError(503, "Статус временно недоступен: повторите запрос через минуту.",
                    "The status is temporarily unavailable: retry in a minute.", headers={"Retry-After": "10"})


def _not_found_submission() -> ApiError:
    return ApiError(404, "Обращение не найдено.", "The submission was not found.")


@router.get("/submissions/{submission_id}")
async def submission_status(
    submission_id: str, request: Request, client_name: FeedbackClientDep, session: SessionDep
) -> dict[str, object]:
    try:
        sid = str(uuid.UUID(submission_id))
    except ValueError:
        raise _not_found_submission() from None
    # An API client sees only what it submitted itself: the native id of a routed submission names its
    # API client; one not routed yet is known by its request record.
    mine = await session.scalar(
        select(Submission.id).where(Submission.id == sid, Submission.channel == Channel.WEB.value,
                                    Submission.native_id.startswith(f"{client_name}:", autoescape=True))
    )
    if mine is None and (broker := request.app.state.broker) is not None:
        try:
            sender = await asyncio.wait_for(idempotency.sent_by(jetstream_of(broker), sid), PUBLISH_TIMEOUT)
        except Exception as exc:
            log.warning("submission status: the request record could not be read: %s", type(exc).__name__)
            raise _queue_unavailable_status() from None
        mine = sid if sender == client_name else None
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
