"""The ticket card: client, owner, the stage timeline, the three clocks, the conversation with the client,
history and internal notes, attachments, the client's other tickets, and the forms of exactly the review
actions this staff member may take now (router.review). Record access is checked on every request."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.blobs import BlobNotFound
from router.identity_claims import CLAIM_BADGE, claimed_contract
from router.models import (
    CallbackTask,
    Client,
    Delivery,
    FetchedAttachment,
    SentMessage,
    Staff,
    StaffAlert,
    Submission,
    Ticket,
    TicketDecision,
    TicketHistory,
)
from router.review import ACTIONS, Conflict, Forbidden, InvalidFields, NotFound, TicketFacts, allowed_actions, perform
from router.review.visibility import visible
from router.texts import Signer, decision_answer, review_acknowledgement
from router.timeutil import aware, utcnow
from router.workflow import STAGE_TITLES_RU, Stage
from workers.app import labels
from workers.web import latest_rows
from workers.web.auth import StaffDep, current_staff, safe_next
from workers.web.clock_view import clock_views
from workers.web.csrf import verify_csrf
from workers.web.deps import DatabaseDep, SessionDep, settings_of
from workers.web.errors import PageError
from workers.web.pages import ticket_rows
from workers.web.pages.access import directory, humanize, require_view, serving_client
from workers.web.pages.forms import FIELD_WIDGETS, ActionForm, fields_of, parse
from workers.web.templating import flash, render
from workers.web.tickets import ticket_by_number
from workers.web.typed_ids import RecordId

OTHER_TICKETS_LIMIT = 50
# The order a ticket goes through; a dispute comes after the closing.
TIMELINE = (Stage.REGISTERED, Stage.PRIMARY_REVIEW, Stage.DEEP_REVIEW, Stage.PROPOSAL, Stage.DECISION,
            Stage.INFORMING, Stage.CLOSED, Stage.DISPUTE)

router = APIRouter(dependencies=[Depends(current_staff)])


@dataclass(frozen=True)
class Step:
    title: str
    state: str  # current | passed | ahead


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    actor: str
    action: str
    from_stage: str | None
    to_stage: str | None
    note: str


async def _ticket(session: AsyncSession, number: str) -> Ticket:
    ticket = await ticket_by_number(session, number)
    if ticket is None:
        raise PageError(404, "Претензия с таким номером не найдена.")
    return ticket


def _timeline(ticket: Ticket, seen: set[str]) -> list[Step]:
    """Every stage in order: the current one, those passed (in the history, or before the current one)."""
    current = next((i for i, stage in enumerate(TIMELINE) if stage.value == ticket.stage), 0)
    return [Step(STAGE_TITLES_RU[stage], "current" if i == current
                 else "passed" if stage.value in seen or (i < current and stage != Stage.DISPUTE) else "ahead")
            for i, stage in enumerate(TIMELINE)]


async def _prefill(session: AsyncSession, request: Request, staff: Staff, ticket: Ticket, action: str) -> str:
    if action == "acknowledge":
        tz = request.app.state.settings.calendar.tz
        return review_acknowledgement(ticket.number, Signer(staff.name, staff.role), aware(ticket.resolution_due), tz)
    if action == "inform":
        decision = await session.scalar(select(TicketDecision).where(
            TicketDecision.ticket_id == ticket.id, TicketDecision.kind == "decision",
        ).order_by(TicketDecision.id.desc()).limit(1))
        if decision is not None:
            return decision_answer(ticket.number, bool(decision.founded), decision.conclusion, decision.re_reviewed)
    return ""


async def _forms(session: AsyncSession, request: Request, staff: Staff, ticket: Ticket, facts: TicketFacts,
                 posted: tuple[str, dict[str, str]] | None) -> list[ActionForm]:
    forms = []
    for name in allowed_actions(staff, ticket, facts):
        spec = ACTIONS[name]
        values: dict[str, str] = {}
        refused = posted is not None and posted[0] == name
        if posted is not None and refused:
            values = posted[1]
        elif "text" in spec.fields.model_fields:
            values["text"] = await _prefill(session, request, staff, ticket, name)
        forms.append(ActionForm(name, spec.title_ru, fields_of(spec), values, refused))
    return forms


async def ticket_page_response(
    request: Request, session: AsyncSession, staff: Staff, ticket: Ticket, *, status_code: int = 200,
    error: str | None = None, posted: tuple[str, dict[str, str]] | None = None,
) -> Response:
    facts = await require_view(request, session, staff, ticket)
    operator = staff.role == "operator"
    people = await directory(session)
    names = {login: person.name for login, person in people.items()}
    client = await session.get(Client, ticket.client_id) if ticket.client_id is not None else None
    every = request.query_params.get("all") == "1"  # every row of each list, not only the latest (latest_rows)

    def row(h: TicketHistory) -> HistoryRow:
        # An operator reads the course of the ticket, not the staff's internal notes, conclusions and measures
        # (what the client was told is in the conversation).
        return HistoryRow(h.at, labels.actor_title(h.actor, names), h.action, h.from_stage, h.to_stage,
                          "" if operator and h.action in ACTIONS else humanize(h.note, people))

    raw_history = await latest_rows.history(session, ticket.id, every=every)
    history = latest_rows.Shown([row(h) for h in raw_history.rows if not (operator and h.action == "comment")],
                                raw_history.cut, raw_history.total)
    notes = [] if operator else [row(h) for h in await ticket_rows.comments(session, ticket.id)]

    async def latest(model: Any, *order: Any) -> latest_rows.Shown[Any]:
        return await latest_rows.latest(session, model, ticket.id, *order, every=every)

    deliveries = await latest(Delivery, Delivery.at, Delivery.id)
    # Every callback: each may wait for an operator (and only operators' phone forms make them).
    callbacks = await latest_rows.latest(session, CallbackTask, ticket.id, CallbackTask.created_at, CallbackTask.id,
                                         every=True)
    sent = await latest(SentMessage, SentMessage.sent_at, SentMessage.id)
    files = latest_rows.Shown([]) if operator else await latest(FetchedAttachment, FetchedAttachment.id)
    alerts = latest_rows.Shown([]) if operator else await latest(StaffAlert, StaffAlert.created_at, StaffAlert.id)
    submissions = await latest(Submission, Submission.received_at, Submission.id)
    others: list[Ticket] = []
    if ticket.client_id is not None:
        others = list(await session.scalars(
            select(Ticket)
            .where(Ticket.client_id == ticket.client_id, Ticket.id != ticket.id,
                   await visible(session, staff, serving_client(request)))
            .order_by(Ticket.created_at.desc()).limit(OTHER_TICKETS_LIMIT)
        ))
    parent = await session.get(Ticket, ticket.parent_ticket_id) if ticket.parent_ticket_id else None
    # A chat account claims to be a client, unverified (router.identity_claims): marked until confirmed.
    claimed = await session.scalar(select(claimed_contract(Ticket.id)).where(Ticket.id == ticket.id))
    forms = [] if operator else await _forms(session, request, staff, ticket, facts, posted)
    managers = sorted((p for p in people.values() if p.role == "manager" and p.active), key=lambda p: p.name)
    departments = sorted({p.department for p in people.values() if p.role == "department_head" and p.active})
    settings = settings_of(request)
    clocks = clock_views(ticket, settings.calendar, settings.sla_policy, utcnow())
    return render(request, "ticket.html", {
        "ticket": ticket, "client": client, "history": history, "notes": notes, "names": names,
        "assignee": people.get(ticket.assignee_login or ""), "handler": people.get(ticket.handler_login or ""),
        "deliveries": deliveries, "callbacks": callbacks, "submissions": submissions, "others": others,
        "parent": parent, "sent": sent, "alerts": alerts, "files": files, "operator": operator,
        "timeline": _timeline(ticket, await ticket_rows.stages_seen(session, ticket.id)),
        "conversation": await ticket_rows.conversation(session, ticket, every=every),
        "forms": forms, "clocks": clocks, "managers": managers, "departments": departments, "action_error": error,
        "client_phones": [i.value for i in client.identities if i.kind == "phone"] if client else [],
        "claimed": claimed, "claim_badge": CLAIM_BADGE,
    }, status_code=status_code)


@router.get("/tickets/{number}")
async def ticket_page(request: Request, number: str, staff: StaffDep, session: SessionDep) -> Response:
    return await ticket_page_response(request, session, staff, await _ticket(session, number))


@router.post("/tickets/{number}/actions/{action}", dependencies=[Depends(verify_csrf)])
async def ticket_action(
    request: Request, number: str, action: str, staff: StaffDep, session: SessionDep, database: DatabaseDep,
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ticket = await _ticket(session, number)
    await require_view(request, session, staff, ticket)
    spec = ACTIONS.get(action)
    if spec is None:
        raise PageError(404, "Нет такого действия.")
    form = await request.form()
    fields = parse(spec, form)
    # End the read before the write transaction (SQLite: one writer, no reader held); the rows stay loaded.
    await session.close()
    back = safe_next(next) if next else f"/tickets/{ticket.number}"
    settings = request.app.state.settings
    calendar, sla = settings.calendar, settings.sla_policy
    try:
        await database.run_transaction(lambda s: perform(s, ticket.number, staff.login, action, fields, utcnow(),
                                                         tz=calendar.tz, calendar=calendar, sla=sla))
    except Forbidden as error:
        raise PageError(403, error.error) from None
    except NotFound as error:
        raise PageError(404, error.error) from None
    except Conflict as error:
        flash(request, humanize(error.error, {}))
        return RedirectResponse(back, status_code=303)
    except InvalidFields as error:
        posted = {k: v for k, v in form.items() if isinstance(v, str) and k in spec.fields.model_fields}
        return await ticket_page_response(request, session, staff, ticket, status_code=422,
                                          error=_invalid_text(error), posted=(action, posted))
    flash(request, f"Выполнено: «{spec.title_ru}».")
    return RedirectResponse(back, status_code=303)


def _invalid_text(error: InvalidFields) -> str:
    """The Russian error, and each field that is missing or wrong, by its label on the form."""
    names: list[str] = []
    for detail in error.details:
        loc = detail.get("loc")
        name = str(loc[0]) if isinstance(loc, list) and loc else ""
        label = FIELD_WIDGETS.get(name, (name, ""))[0]
        if label and label not in names:
            names.append(label)
    if not names:
        return error.error
    return f"{error.error} Заполните верно: " + ", ".join(f"«{n}»" for n in names) + "."


@router.get("/attachments/{attachment_id}")
async def attachment_file(request: Request, attachment_id: RecordId,
                          staff: StaffDep, session: SessionDep) -> Response:
    """A fetched file, to staff with access to its ticket only (never to operators), always as a download."""
    item = await session.get(FetchedAttachment, attachment_id)
    if item is None or item.blob_key is None:
        raise PageError(404, "Файл не найден.")
    ticket = await session.get(Ticket, item.ticket_id) if item.ticket_id is not None else None
    if ticket is None or staff.role == "operator":
        raise PageError(403, "У вас нет доступа к этому файлу.")
    await require_view(request, session, staff, ticket)
    try:
        data = await asyncio.to_thread(request.app.state.settings.blobs.get, item.blob_key)
    except BlobNotFound:
        raise PageError(404, "Файл не найден в хранилище.") from None
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(item.name)}",
        "X-Content-Type-Options": "nosniff",
    })
