"""Phone channel pages: search, client card, the "Комфорт" rule (page and POST), hand-off to INTAKE."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from channels.base import Channel, RawSubmission, submission_id_for
from channels.phone import PHONE_REFUSAL_TEXT
from tests.web.conftest import csrf_of, last_intake, login, stream_count
from tests.web.factories import add_client, add_staff
from workers.app.runtime import Database

IVANOV_PHONE = "+79161234567"
REFUSAL_START = PHONE_REFUSAL_TEXT[:60]


@pytest.fixture
async def operator(web: httpx.AsyncClient, database: Database) -> httpx.AsyncClient:
    await add_staff(database, "petrova", role="manager", name="Петрова Анна Сергеевна")
    await add_staff(database, "oper1", name="Смирнова Ольга")
    assert (await login(web, "oper1")).status_code == 303
    return web


@pytest.fixture
async def comfort_client(database: Database) -> int:
    client = await add_client(database, "Д-000123", "Иванов Иван Иванович", packages=["Комфорт"],
                              phones=(IVANOV_PHONE,), emails=("ivan@example.ru",), manager_login="petrova",
                              account="ЛС-5550001")
    return client.id


@pytest.fixture
async def refused_client(database: Database) -> int:
    client = await add_client(database, "Д-000200", "Кузнецова Мария Петровна", packages=["Базовый"],
                              phones=("+79035550000",), manager_login="petrova")
    return client.id


def form_of(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))
    assert "idempotency_key" in fields, "no complaint form on the page"
    return fields


@pytest.mark.parametrize("query", ["8 (916) 123-45-67", "+7 916 123 45 67", "89161234567", "Д-000123",
                                   "ЛС-5550001", "Иванов", "иванов иван",
                                   "д-000123", "лс-5550001"])  # a number typed in lower case
async def test_search_finds_the_client_by_any_identity(
    operator: httpx.AsyncClient, comfort_client: int, query: str
) -> None:
    page = await operator.get("/phone", params={"q": query})
    assert page.status_code == 200
    assert "Иванов Иван Иванович" in page.text
    assert f"/phone/new?client_id={comfort_client}" in page.text


@pytest.mark.parametrize("query", ["%", "Ив_нов", "%Иван%"])
async def test_a_typed_wildcard_is_a_letter_not_a_pattern(
    operator: httpx.AsyncClient, comfort_client: int, query: str
) -> None:
    page = await operator.get("/phone", params={"q": query})
    assert page.status_code == 200 and "Иванов Иван Иванович" not in page.text


async def test_search_without_a_match_offers_the_unknown_caller_form(operator: httpx.AsyncClient) -> None:
    page = await operator.get("/phone", params={"q": "8 495 642-85-85"})
    assert "Клиент не найден в справочнике" in page.text
    assert 'href="/phone/new?phone=%2B74956428585"' in page.text


async def test_client_card_and_form(operator: httpx.AsyncClient, comfort_client: int) -> None:
    page = await operator.get("/phone/new", params={"client_id": comfort_client})
    assert page.status_code == 200
    for fact in ("Иванов Иван Иванович", "Д-000123", "Физическое лицо", "Многоквартирный дом", "Комфорт",
                 "Петрова Анна Сергеевна"):
        assert fact in page.text
    assert REFUSAL_START not in page.text
    fields = form_of(page.text)
    assert uuid.UUID(fields["idempotency_key"]).version == 4
    assert fields["client_id"] == str(comfort_client)
    # Every rendering gets its own key.
    again = form_of((await operator.get("/phone/new", params={"client_id": comfort_client})).text)
    assert again["idempotency_key"] != fields["idempotency_key"]


async def test_refused_client_gets_the_refusal_and_no_form(operator: httpx.AsyncClient, refused_client: int) -> None:
    page = await operator.get("/phone/new", params={"client_id": refused_client})
    assert page.status_code == 200
    assert 'id="phone-refusal"' in page.text and PHONE_REFUSAL_TEXT in page.text
    assert 'id="complaint-form"' not in page.text and "idempotency_key" not in page.text
    listed = await operator.get("/phone", params={"q": "Кузнецова"})
    assert "нельзя" in listed.text


async def test_refused_client_cannot_be_filed_by_a_hand_made_post(
    operator: httpx.AsyncClient, refused_client: int, broker
) -> None:
    csrf = csrf_of((await operator.get("/")).text)
    response = await operator.post("/phone/new", data={
        "csrf_token": csrf, "idempotency_key": str(uuid.uuid4()), "client_id": str(refused_client),
        "text": "Нет интернета", "caller_phone": "+79035550000",
    })
    assert response.status_code == 403
    assert PHONE_REFUSAL_TEXT in response.text
    assert await stream_count(broker) == 0


async def test_refused_client_cannot_hide_behind_the_unknown_caller_form(
    operator: httpx.AsyncClient, refused_client: int, broker
) -> None:
    csrf = csrf_of((await operator.get("/")).text)
    response = await operator.post("/phone/new", data={
        "csrf_token": csrf, "idempotency_key": str(uuid.uuid4()), "text": "Нет интернета",
        "caller_phone": "8 903 555-00-00",
    })
    assert response.status_code == 403 and PHONE_REFUSAL_TEXT in response.text
    assert await stream_count(broker) == 0


async def test_complaint_goes_to_intake_and_a_double_submit_is_one(
    operator: httpx.AsyncClient, comfort_client: int, broker
) -> None:
    page = await operator.get("/phone/new", params={"client_id": comfort_client})
    fields = form_of(page.text)
    data = {**fields, "caller_phone": "8 916 123-45-67", "caller_name": "Иван", "subject": "Нет интернета",
            "category": "connection", "text": "Третий день нет интернета, прошу перерасчёт"}
    first = await operator.post("/phone/new", data=data)
    second = await operator.post("/phone/new", data=data)  # the operator clicked twice
    expected = submission_id_for(Channel.PHONE, fields["idempotency_key"])
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"] == f"/submissions/{expected}"

    assert await stream_count(broker) == 1
    data_bytes = await last_intake(broker, "phone")
    assert data_bytes is not None
    raw = RawSubmission.model_validate_json(data_bytes)
    assert raw.submission_id == expected and raw.channel is Channel.PHONE
    assert raw.native_id == fields["idempotency_key"]
    assert raw.operator_id == "oper1"
    assert raw.payload["client_id"] == comfort_client and raw.payload["contract_number"] == "Д-000123"
    assert raw.payload["text"] == "Третий день нет интернета, прошу перерасчёт"
    assert raw.payload["category"] == "connection"

    pending = await operator.get(first.headers["location"])
    assert pending.status_code == 200
    assert "Претензия принята и регистрируется" in pending.text
    assert '<meta http-equiv="refresh" content="1">' in pending.text


async def test_form_errors_keep_the_key_and_the_text(
    operator: httpx.AsyncClient, comfort_client: int, broker
) -> None:
    fields = form_of((await operator.get("/phone/new", params={"client_id": comfort_client})).text)
    empty = await operator.post("/phone/new", data={**fields, "text": "   "})
    assert empty.status_code == 422 and "Текст претензии пуст" in empty.text
    assert form_of(empty.text)["idempotency_key"] == fields["idempotency_key"]
    long = await operator.post("/phone/new", data={**fields, "text": "я" * 20_001, "caller_phone": "12"})
    assert long.status_code == 422
    assert "не более 20000 символов" in long.text and "Телефон звонящего не распознан" in long.text
    assert await stream_count(broker) == 0


async def test_unknown_caller_needs_a_phone(operator: httpx.AsyncClient, broker) -> None:
    page = await operator.get("/phone/new", params={"phone": "+74956428585"})
    assert "Звонящий не найден в справочнике" in page.text and 'value="+74956428585"' in page.text
    fields = form_of(page.text)
    missing = await operator.post("/phone/new", data={**fields, "caller_phone": "", "text": "Жалоба"})
    assert missing.status_code == 422 and "Укажите телефон звонящего" in missing.text
    ok = await operator.post("/phone/new", data={**fields, "caller_phone": "+7 495 642-85-85",
                                                 "caller_name": "Пётр", "text": "Жалоба на мастера"})
    assert ok.status_code == 303
    raw = RawSubmission.model_validate_json(await last_intake(broker, "phone") or b"")
    assert "client_id" not in raw.payload and raw.payload["caller_phone"] == "+7 495 642-85-85"


async def test_a_forged_form_is_refused(operator: httpx.AsyncClient, comfort_client: int, broker) -> None:
    fields = form_of((await operator.get("/phone/new", params={"client_id": comfort_client})).text)
    no_csrf = await operator.post("/phone/new", data={**fields, "csrf_token": "x", "text": "Жалоба"})
    assert no_csrf.status_code == 403
    bad_key = await operator.post("/phone/new", data={**fields, "idempotency_key": "mine", "text": "Жалоба"})
    assert bad_key.status_code == 400
    ghost = await operator.post("/phone/new", data={**fields, "client_id": "999999", "text": "Жалоба"})
    assert ghost.status_code == 404
    assert await stream_count(broker) == 0
