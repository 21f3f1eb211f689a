"""«Проверка скана»: scanned letters whose sender the machine could not confirm. The page images beside the
extracted fields and the ranked candidates; the post room or the subscriber department confirm (or
correct) the client, and the ticket goes on to the personal manager (router.scan_review.confirm)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from channels.blobs import BlobNotFound
from normalizer.event import ScanFields
from router.models import Client, ScanReview, Ticket
from router.review import Conflict, Forbidden, InvalidFields, NotFound
from router.scan_review import VERIFIERS, confirm
from router.timeutil import utcnow
from workers.web.auth import StaffDep, current_staff
from workers.web.csrf import verify_csrf
from workers.web.deps import DatabaseDep, SessionDep
from workers.web.errors import PageError
from workers.web.templating import flash, render
from workers.web.typed_ids import record_id

router = APIRouter(dependencies=[Depends(current_staff)])
LIST_LIMIT = 200
FIELD_TITLES = {
    "sender_name": "Отправитель (ФИО)", "contract": "Номер договора", "account": "Лицевой счёт",
    "phone": "Телефон", "address": "Адрес", "date": "Дата письма", "claim_what": "Что случилось",
    "claim_amount": "Сумма", "claim_where": "Где", "claim_grounds": "Основания", "claim_demand": "Требование",
}


def _allowed(staff: StaffDep) -> None:
    if staff.role not in VERIFIERS:
        raise PageError(403, "Проверка сканов доступна почтовому отделению и абонентскому отделу.")


async def _pending(session: SessionDep, number: str) -> tuple[Ticket, ScanReview]:
    row = (await session.execute(select(Ticket, ScanReview).join(ScanReview, ScanReview.ticket_id == Ticket.id)
                                 .where(Ticket.number == number))).first()
    if row is None:
        raise PageError(404, "Скан не найден.")
    return row[0], row[1]


@router.get("/scans")
async def scan_queue(request: Request, staff: StaffDep, session: SessionDep) -> Response:
    _allowed(staff)
    rows = (await session.execute(
        select(Ticket, ScanReview).join(ScanReview, ScanReview.ticket_id == Ticket.id)
        .where(ScanReview.status == "pending").order_by(ScanReview.created_at, ScanReview.id).limit(LIST_LIMIT)
    )).all()
    return render(request, "scans.html", {"rows": rows})


@router.get("/scans/{number}")
async def scan_page(request: Request, number: str, staff: StaffDep, session: SessionDep) -> Response:
    _allowed(staff)
    ticket, review = await _pending(session, number)
    return render(request, "scan_review.html", {
        "ticket": ticket, "review": review, "field_titles": FIELD_TITLES,
        "fields": ScanFields.model_validate(review.fields).model_dump()})


@router.get("/scans/{number}/pages/{page}")
async def scan_page_image(request: Request, number: str, page: Annotated[int, Path(ge=1, le=10_000)], staff: StaffDep,
                          session: SessionDep) -> Response:
    _allowed(staff)
    _, review = await _pending(session, number)
    if not 1 <= page <= len(review.page_keys):
        raise PageError(404, "Нет такой страницы.")
    try:
        data = await asyncio.to_thread(request.app.state.settings.blobs.get, review.page_keys[page - 1])
    except BlobNotFound:
        raise PageError(404, "Изображение страницы не найдено в хранилище.") from None
    return Response(data, media_type="image/png", headers={"X-Content-Type-Options": "nosniff",
                                                           "Cache-Control": "private, max-age=3600"})


@router.post("/scans/{number}/confirm", dependencies=[Depends(verify_csrf)])
async def scan_confirm(
    request: Request, number: str, staff: StaffDep, session: SessionDep, database: DatabaseDep,
    client_id: Annotated[str, Form(max_length=20)] = "",
    contract: Annotated[str, Form(max_length=64)] = "",
    sender_name: Annotated[str, Form(max_length=300)] = "",
    address: Annotated[str, Form(max_length=500)] = "",
    phone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Confirm the chosen candidate, or the client of the contract number typed by the person."""
    _allowed(staff)
    await _pending(session, number)
    chosen = record_id(client_id)
    if contract.strip():
        chosen = await session.scalar(select(Client.id).where(Client.contract_number == contract.strip()))
        if chosen is None:
            flash(request, f"Договор {contract.strip()} не найден в справочнике клиентов.")
            return RedirectResponse(f"/scans/{number}", status_code=303)
    if chosen is None:
        flash(request, "Выберите клиента из списка или укажите номер договора.")
        return RedirectResponse(f"/scans/{number}", status_code=303)
    await session.close()
    fields = {"sender_name": sender_name.strip(), "address": address.strip(), "phone": phone.strip(),
              "contract": contract.strip()}
    tz = request.app.state.settings.calendar.tz
    client = chosen
    try:
        await database.run_transaction(lambda s: confirm(s, number, staff.login, client,
                                                         {k: v for k, v in fields.items() if v}, utcnow(), tz))
    except Forbidden as error:
        raise PageError(403, error.error) from None
    except (NotFound, InvalidFields) as error:
        raise PageError(404 if isinstance(error, NotFound) else 422, error.error) from None
    except Conflict as error:
        flash(request, error.error)
        return RedirectResponse("/scans", status_code=303)
    flash(request, f"Отправитель подтверждён: претензия {number} передана персональному менеджеру.")
    return RedirectResponse("/scans", status_code=303)
