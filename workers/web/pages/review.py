"""The recommendations list (process improvements from deep reviews, with their status) and the ticket
search by number, contract, phone or name, within the user's access."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import or_, select, update

from normalizer.phones import to_e164
from router.identity_claims import claimed_contract
from router.models import Client, ClientIdentity, Recommendation, Ticket
from router.review.visibility import visible
from router.timeutil import to_utc, utcnow
from workers.app.labels import RECOMMENDATION_STATUS_TITLES
from workers.web.auth import StaffDep, current_staff
from workers.web.csrf import verify_csrf
from workers.web.deps import SessionDep
from workers.web.errors import PageError
from workers.web.pages.access import serving_client
from workers.web.templating import flash, render
from workers.web.typed_ids import RecordId

LIST_LIMIT = 500
SEARCH_LIMIT = 100
STATUS_EDITORS = frozenset({"subscriber_head", "director", "admin"})

router = APIRouter(dependencies=[Depends(current_staff)])


@router.get("/recommendations")
async def recommendations(request: Request, staff: StaffDep, session: SessionDep) -> Response:
    if staff.role == "operator":
        raise PageError(403, "Список рекомендаций доступен руководителям и менеджерам.")
    rows = (await session.execute(
        select(Recommendation, Ticket.number).join(Ticket, Ticket.id == Recommendation.ticket_id)
        .order_by(Recommendation.created_at.desc(), Recommendation.id.desc()).limit(LIST_LIMIT))).all()
    return render(request, "recommendations.html", {
        "rows": rows, "statuses": RECOMMENDATION_STATUS_TITLES, "can_edit": staff.role in STATUS_EDITORS})


@router.post("/recommendations/{item_id}/status", dependencies=[Depends(verify_csrf)])
async def recommendation_status(
    request: Request, item_id: RecordId, staff: StaffDep, session: SessionDep,
    status: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    if staff.role not in STATUS_EDITORS:
        raise PageError(403, "Статус рекомендации меняют начальник абонентского отдела, генеральный директор "
                             "и администратор.")
    if status not in RECOMMENDATION_STATUS_TITLES:
        raise PageError(422, "Выберите статус из списка.")
    changed = await session.execute(update(Recommendation).where(Recommendation.id == item_id)
                                    .values(status=status, updated_at=to_utc(utcnow())))
    if getattr(changed, "rowcount", 0) != 1:
        raise PageError(404, "Рекомендация не найдена.")
    await session.commit()
    flash(request, f"Статус рекомендации: «{RECOMMENDATION_STATUS_TITLES[status]}».")
    return RedirectResponse("/recommendations", status_code=303)


@router.get("/search")
async def search(request: Request, staff: StaffDep, session: SessionDep, q: str = "") -> Response:
    q = q.strip()[:200]
    rows: list[tuple[Ticket, str | None, str | None]] = []
    if q:
        by_identity = select(ClientIdentity.client_id).where(
            ClientIdentity.value.in_([v for v in (q, to_e164(q)) if v]))
        matches = or_(
            Ticket.number == q.upper(),
            Ticket.client_id.in_(select(Client.id).where(or_(
                Client.contract_number == q, Client.account_number == q, Client.name.icontains(q, autoescape=True)))),
            Ticket.client_id.in_(by_identity),
        )
        found = await session.execute(
            select(Ticket, Client.name, claimed_contract(Ticket.id)).outerjoin(Client, Client.id == Ticket.client_id)
            .where(matches, await visible(session, staff, serving_client(request)))
            .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(SEARCH_LIMIT))
        rows = [(ticket, name, claimed) for ticket, name, claimed in found.all()]
    return render(request, "search.html", {"q": q, "rows": rows, "searched": bool(q)})
