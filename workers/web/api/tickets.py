"""REST API: read tickets (router.contracts.TicketView JSON, clocks as aware datetimes)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from router.contracts import TicketView
from workers.web.api.auth import acting_for, api_caller
from workers.web.deps import SessionDep
from workers.web.errors import ApiError
from workers.web.tickets import clients_matching, is_ticket_number, list_tickets, ticket_by_number, ticket_contract

router = APIRouter(prefix="/api/v1", tags=["api"], dependencies=[Depends(api_caller)])

# Scope tickets:read; an X-On-Behalf-Of header, if given, must name an active staff member.
READ = [Depends(acting_for("tickets:read"))]


@router.get("/tickets/{number}", response_model=TicketView, dependencies=READ)
async def get_ticket(number: str, session: SessionDep) -> TicketView:
    ticket = await ticket_by_number(session, number)
    if ticket is None:
        shown = f" {number}" if is_ticket_number(number) else ""
        raise ApiError(404, f"Претензия{shown} не найдена.", f"Ticket{shown} was not found.")
    return await ticket_contract(session, ticket)


@router.get("/tickets", dependencies=READ)
async def find_tickets(
    session: SessionDep,
    client: Annotated[str | None, Query(max_length=64, description="client id or contract number")] = None,
    status: Literal["open", "closed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    client_ids = await clients_matching(session, client) if client else None
    page = await list_tickets(session, client_ids, status, limit, offset)
    items = [(await ticket_contract(session, t)).model_dump(mode="json") for t in page.items]
    return {"items": items, "total": page.total}
