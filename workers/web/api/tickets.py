"""REST API: read tickets (router.contracts.TicketView JSON, clocks as aware datetimes) and act on them.

`GET /api/v1/tickets/{number}` (tickets:read): with X-On-Behalf-Of, record access applies (403) and
`allowed_actions` are that staff member's; the ticket carries the latest entries of its history, and
`GET /api/v1/tickets/{number}/history` pages through all of them. `POST /api/v1/tickets/{number}/actions/{action}`
(tickets:act): router.review.perform as the X-On-Behalf-Of staff member, "via" the API client; 200 with the ticket.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from router.contracts import HistoryPage, TicketView
from router.models import Staff, Ticket
from router.review import ACTIONS, InvalidFields, ReviewError, allowed_actions, can_view, perform
from router.review.facts import load_facts
from router.review.visibility import visible
from router.timeutil import utcnow
from workers.web import latest_rows
from workers.web.api.auth import Acting, acting_for, api_caller
from workers.web.api.body import json_object
from workers.web.deps import SERVICE_DOWN_EN, SERVICE_DOWN_RU, DatabaseDep, SessionDep, SettingsDep
from workers.web.errors import ApiError, validation_error
from workers.web.latest_rows import SHOWN_ROWS
from workers.web.tickets import (
    clients_matching,
    history_entry,
    is_ticket_number,
    list_tickets,
    ticket_by_number,
    ticket_contract,
)

router = APIRouter(prefix="/api/v1", tags=["api"], dependencies=[Depends(api_caller)])

# Scope tickets:read; an X-On-Behalf-Of header, if given, must name an active staff member.
ReadingDep = Annotated[Acting, Depends(acting_for("tickets:read"))]
# Scope tickets:act; X-On-Behalf-Of required (400 without it).
ActingDep = Annotated[Acting, Depends(acting_for("tickets:act"))]

_ACTION_NAME = re.compile(r"^[a-z_]{1,32}$")
HISTORY_PAGE_MAX = 1000  # entries in one page of a ticket's history
_ACTION_DOC: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "description": "The action's fields (router.review.fields); an empty body for an action without any.",
        "content": {"application/json": {"schema": {
            "type": "object",
            "properties": {
                "text": {"type": "string"}, "note": {"type": "string"}, "department": {"type": "string"},
                "founded": {"type": "boolean"}, "conclusion": {"type": "string"}, "causes": {"type": "string"},
                "recommendations": {"type": "array", "items": {"type": "string"}},
                "culprits_measures": {"type": "string"}, "needs_director": {"type": "boolean"},
                "login": {"type": "string"}, "urgent_measures": {"type": "string"},
            },
            "additionalProperties": False,
        }}},
    },
    "responses": {
        "403": {"description": "the role or record access forbids the action"},
        "404": {"description": "no such ticket or action"},
        "409": {"description": "the ticket's stage or state does not allow the action now"},
        "413": {"description": "the body is too large"},
        "422": {"description": "bad fields or invalid JSON"},
        "503": {"description": "the database is unavailable"},
    },
}


def _not_found(number: str) -> ApiError:
    shown = f" {number}" if is_ticket_number(number) else ""
    return ApiError(404, f"Претензия{shown} не найдена.", f"Ticket{shown} was not found.")


def _database_down() -> ApiError:
    return ApiError(503, SERVICE_DOWN_RU, SERVICE_DOWN_EN, headers={"Retry-After": "30"})


def _review_error(error: ReviewError) -> ApiError:
    if isinstance(error, InvalidFields) and error.details:
        return validation_error(error.details, error.error, error.error_en)
    return ApiError(error.status, error.error, error.error_en)


def _no_access(staff: Staff, ticket: Ticket) -> ApiError:
    return ApiError(403, f"У сотрудника «{staff.login}» нет доступа к претензии {ticket.number}.",
                    f'The staff member "{staff.login}" has no access to ticket {ticket.number}.')


async def _view(session: AsyncSession, ticket: Ticket, staff: Staff | None, *, refuse: bool = True) -> TicketView:
    """The ticket's contract; for a staff member, only with record access (403 if `refuse`), with their
    actions (none without access)."""
    allowed: list[str] = []
    if staff is not None:
        facts = await session.run_sync(load_facts, ticket)
        if not can_view(staff, ticket, facts):
            if not refuse:  # they have just acted on it, and the action took the ticket out of their reach
                return await ticket_contract(session, ticket)
            raise _no_access(staff, ticket)
        allowed = allowed_actions(staff, ticket, facts)
    return await ticket_contract(session, ticket, allowed)


async def _readable(session: AsyncSession, number: str, staff: Staff | None) -> Ticket:
    """The ticket; 404 if there is none, 403 if the X-On-Behalf-Of staff member has no access to it."""
    ticket = await ticket_by_number(session, number)
    if ticket is None:
        raise _not_found(number)
    if staff is not None and not can_view(staff, ticket, await session.run_sync(load_facts, ticket)):
        raise _no_access(staff, ticket)
    return ticket


@router.get("/tickets/{number}", response_model=TicketView)
async def get_ticket(number: str, session: SessionDep, acting: ReadingDep) -> TicketView:
    ticket = await ticket_by_number(session, number)
    if ticket is None:
        raise _not_found(number)
    return await _view(session, ticket, acting.staff)


@router.get("/tickets/{number}/history", response_model=HistoryPage)
async def get_ticket_history(
    number: str,
    session: SessionDep,
    acting: ReadingDep,
    limit: Annotated[int, Query(ge=1, le=HISTORY_PAGE_MAX)] = SHOWN_ROWS,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> HistoryPage:
    """Every entry of the ticket's history, a page at a time, oldest first (the ticket itself carries the latest)."""
    ticket = await _readable(session, number, acting.staff)
    page = await latest_rows.history_page(session, ticket.id, limit, offset)
    return HistoryPage(items=[history_entry(row) for row in page.rows], total=page.total or 0)


@router.get("/tickets")
async def find_tickets(
    session: SessionDep,
    acting: ReadingDep,
    client: Annotated[str | None, Query(max_length=64, description="client id or contract number")] = None,
    status: Literal["open", "closed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    client_ids = await clients_matching(session, client) if client else None
    # With X-On-Behalf-Of, only what that staff member may see (and counted so).
    seen = await visible(session, acting.staff, None) if acting.staff is not None else None
    page = await list_tickets(session, client_ids, status, limit, offset, seen)
    items = [(await ticket_contract(session, t)).model_dump(mode="json") for t in page.items]
    return {"items": items, "total": page.total}


async def _action_fields(request: Request, action: str) -> dict[str, Any]:
    """The JSON object of the action's fields (an empty body: none); read after authentication."""
    lead = (f"Действие «{ACTIONS[action].title_ru}» не выполнено.", f"The action '{action}' was not taken.")
    return await json_object(request, lead) or {}


@router.post("/tickets/{number}/actions/{action}", response_model=TicketView, openapi_extra=_ACTION_DOC)
async def act_on_ticket(
    number: str,
    action: Annotated[str, Path(description="the action (router.review.ACTIONS)",
                                json_schema_extra={"enum": list(ACTIONS)})],
    request: Request, acting: ActingDep, session: SessionDep, database: DatabaseDep,
    settings: SettingsDep,
) -> TicketView:
    """Take `action` on the ticket as the X-On-Behalf-Of staff member (the history says "via" the API client)."""
    if action not in ACTIONS:
        shown = f": {action}" if _ACTION_NAME.match(action) else ""
        raise ApiError(404, f"Нет такого действия{shown}.", f"No such action{shown}.")
    if not is_ticket_number(number):
        raise _not_found(number)
    assert acting.staff is not None  # tickets:act requires the header
    login, via = acting.staff.login, acting.api_client
    fields = await _action_fields(request, action)
    # Free the request's connection (and, on SQLite, its read snapshot) before the write transaction.
    await session.rollback()
    calendar, sla = settings.calendar, settings.sla_policy
    now = utcnow()
    try:
        await database.run_transaction(lambda s: perform(s, number, login, action, fields, now, via,
                                                         tz=calendar.tz, calendar=calendar, sla=sla))
    except ReviewError as error:
        raise _review_error(error) from None
    except (SQLAlchemyError, OSError):
        raise _database_down() from None
    try:
        ticket = await ticket_by_number(session, number)
        staff = await session.scalar(select(Staff).where(Staff.login == login))
        if ticket is None:
            raise _not_found(number)
        return await _view(session, ticket, staff, refuse=False)
    except (SQLAlchemyError, OSError):
        raise _database_down() from None
