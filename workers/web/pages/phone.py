"""Phone channel: find the caller, show the client card, take the complaint, hand it to INTAKE."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.phone import PHONE_REFUSAL_TEXT, PhoneComplaint, parse_phone_form, phone_filing_allowed
from normalizer.event import Identities
from normalizer.phones import to_e164
from router.directory import find_clients, resolve_client, staff_by_login
from router.models import Client, Staff, Ticket
from router.timeutil import utcnow
from workers.app.labels import CATEGORY_CHOICES
from workers.bus.publish import IntakeUnavailable, hand_off
from workers.web.auth import StaffDep, current_staff
from workers.web.csrf import verify_csrf
from workers.web.deps import BrokerDep, SessionDep
from workers.web.errors import PageError
from workers.web.messages import describe_all
from workers.web.pages.access import serve_client
from workers.web.templating import render
from workers.web.typed_ids import MAX_RECORD_ID, record_id

router = APIRouter(dependencies=[Depends(current_staff)])

FormText = Annotated[str, Form(max_length=25_000)]


@dataclass(frozen=True)
class ClientCard:
    client: Client
    manager: Staff | None
    phones: list[str]
    emails: list[str]
    allowed: bool
    tickets: list[Ticket] = field(default_factory=list)  # the client's tickets, read-only for the operator


def _allowed(client: Client) -> bool:
    return phone_filing_allowed(client.segment, client.building_type, list(client.packages or []))


async def _card(session: AsyncSession, client: Client) -> ClientCard:
    managers = await staff_by_login(session, [client.manager_login or ""])
    return ClientCard(
        client=client,
        manager=managers.get(client.manager_login or ""),
        phones=[i.value for i in client.identities if i.kind == "phone"],
        emails=[i.value for i in client.identities if i.kind == "email"],
        allowed=_allowed(client),
        tickets=list(await session.scalars(
            select(Ticket).where(Ticket.client_id == client.id).order_by(Ticket.created_at.desc()).limit(20))),
    )


async def _client(session: AsyncSession, client_id: int) -> Client:
    client = await session.get(Client, client_id)
    if client is None:
        raise PageError(404, "Клиент не найден в справочнике.")
    return client


def _refused(request: Request, card: ClientCard | None) -> Response:
    if card is not None:
        serve_client(request, card.client.id)
    return render(request, "phone_refused.html", {"card": card, "refusal": PHONE_REFUSAL_TEXT}, status_code=403)


@router.get("/phone")
async def search(request: Request, session: SessionDep, q: str = "") -> Response:
    q = q.strip()[:200]
    clients = await find_clients(session, q) if q else []
    cards = [await _card(session, c) for c in clients]
    return render(request, "phone_search.html", {"q": q, "cards": cards, "searched": bool(q), "q_phone": to_e164(q)})


def _form_context(card: ClientCard | None, values: dict[str, str], key: str | None = None) -> dict[str, Any]:
    return {
        "card": card,
        "values": values,
        "idempotency_key": key or str(uuid.uuid4()),  # a fresh key per rendered form: a double submit is one ticket
        "errors": [],
        "refusal": PHONE_REFUSAL_TEXT,
        "categories": CATEGORY_CHOICES,
    }


@router.get("/phone/new")
async def new_complaint(
    request: Request, session: SessionDep,
    client_id: Annotated[int | None, Query(ge=1, le=MAX_RECORD_ID)] = None, phone: str = ""
) -> Response:
    card = await _card(session, await _client(session, client_id)) if client_id is not None else None
    if card is not None:
        serve_client(request, card.client.id)  # the operator serves this client: their tickets open read-only
    values = {"caller_phone": phone.strip()[:32]}
    if card is not None and card.phones:
        values["caller_phone"] = card.phones[0]
    return render(request, "phone_new.html", _form_context(card, values))


@router.post("/phone/new", dependencies=[Depends(verify_csrf)])
async def file_complaint(
    request: Request,
    staff: StaffDep,
    session: SessionDep,
    broker: BrokerDep,
    idempotency_key: FormText = "",
    client_id: FormText = "",
    caller_phone: FormText = "",
    caller_name: FormText = "",
    subject: FormText = "",
    category: FormText = "",
    text: FormText = "",
) -> Response:
    try:
        key = str(uuid.UUID(idempotency_key))
    except ValueError:
        raise PageError(400, "Форма повреждена: обновите страницу и заполните её заново.") from None
    card: ClientCard | None = None
    if client_id.strip():
        chosen = record_id(client_id)
        if chosen is None:
            raise PageError(400, "Некорректный клиент в форме.")
        card = await _card(session, await _client(session, chosen))
        if not card.allowed:
            return _refused(request, card)  # the page hid the form; a hand-made POST is refused here too
    values = {"caller_phone": caller_phone.strip(), "caller_name": caller_name.strip(), "subject": subject.strip(),
              "category": category.strip(), "text": text.strip()}
    fields: dict[str, Any] = {k: v for k, v in values.items() if v}
    fields["text"] = values["text"]  # even empty: the contract's own check names the problem
    errors: list[str] = []
    if card is not None:
        fields["client_id"] = card.client.id
        fields["contract_number"] = card.client.contract_number
    else:
        e164 = to_e164(values["caller_phone"])
        if not values["caller_phone"]:
            errors.append("Укажите телефон звонящего: без него ответ некому передать.")
        elif e164 is None:
            errors.append("Телефон звонящего не распознан: укажите номер полностью, например +7 916 123-45-67.")
        else:
            known = await resolve_client(session, Identities(phones=[e164]))
            if known is not None and not _allowed(known):
                return _refused(request, await _card(session, known))
    if values["caller_phone"] and card is not None and to_e164(values["caller_phone"]) is None:
        errors.append("Телефон звонящего не распознан: укажите номер полностью, например +7 916 123-45-67.")
    if values["category"] and values["category"] not in CATEGORY_CHOICES:
        errors.append("Выберите категорию из списка.")
    try:
        PhoneComplaint.model_validate(fields)
    except ValidationError as exc:
        errors.extend(m.ru for m in describe_all(exc.errors(include_url=False, include_input=False)))
    if errors:
        context = _form_context(card, values, key)
        context["errors"] = errors
        return render(request, "phone_new.html", context, status_code=422)

    raw = parse_phone_form(fields, idempotency_key=key, operator_id=staff.login, received_at=utcnow())
    try:
        await hand_off(broker, raw)
    except IntakeUnavailable:
        context = _form_context(card, values, key)  # the same key: resending cannot make a second ticket
        context["errors"] = [
            "Претензия НЕ принята: очередь приёма временно недоступна. Нажмите «Зарегистрировать» ещё раз "
            "через минуту — повторная отправка этой формы не создаст дубль."
        ]
        return render(request, "phone_new.html", context, status_code=503)
    return RedirectResponse(f"/submissions/{raw.submission_id}", status_code=303)
