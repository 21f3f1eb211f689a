"""Hostile edges of the web process (issue 12, probe findings 1 and 7), each a clear 4xx, never a 500:

- a body is never read before the secret or token is checked, and never past the endpoint's cap (a declared
  Content-Length over the cap is refused before a byte is read);
- JSON nested deeper than json.loads can recurse is refused before it is parsed (on VK before the secret,
  which is inside the body);
- an integer too large for the database in a path or query parameter is refused, not an OverflowError.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from faststream.nats import NatsBroker

from channels.telegram.metrics import COUNTERS
from channels.telegram.webhook import MAX_BODY as TELEGRAM_MAX_BODY
from channels.vk.callback import MAX_BODY as VK_MAX_BODY
from tests.channels.telegram.conftest import SECRET as TELEGRAM_SECRET
from tests.channels.telegram.conftest import telegram_config
from tests.channels.vk.conftest import GROUP_ID, event, vk_config
from tests.channels.vk.conftest import SECRET as VK_SECRET
from tests.support.fake_telegram import FakeTelegram, fake_telegram
from tests.support.fake_vk import FakeVk
from tests.support.gateway import web_client
from tests.web.conftest import csrf_of, login, stream_count
from tests.web.factories import add_staff
from tests.web.test_scan_verify import review_of, scanned
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.bus.shunt import jetstream_of
from workers.web.api.body import MAX_BODY_BYTES

pytestmark = pytest.mark.usefixtures("database_url")

DEEP = b"[" * 10_000 + b"]" * 10_000
CHUNK = 64 * 1024


class CountingBody:
    """A streamed request body that counts the chunks the app pulled: none, if it answered without reading."""

    def __init__(self, size: int, chunk: int = CHUNK) -> None:
        self.chunks = [b"x" * chunk] * (size // chunk)
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.read += 1
            yield chunk


def nested(body: dict[str, Any], depth: int = 10_000) -> bytes:
    """`body` with a field nesting `depth` arrays, as a JSON text."""
    text = json.dumps(body, ensure_ascii=False)
    return text[:-1].encode() + b', "deep": ' + b"[" * depth + b"]" * depth + b"}"


# --- Telegram ---------------------------------------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with fake_telegram("123456:test-token_ABC") as server:
        yield server


@pytest.fixture
async def telegram(settings: Settings, database: Database, broker: NatsBroker,
                   fake: FakeTelegram) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(settings.model_copy(update={"telegram": telegram_config(fake)}), database,
                          broker) as client:
        yield client


def telegram_headers(secret: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return headers


@pytest.mark.parametrize("secret", [None, "", "wrong-secret"])
async def test_telegram_refuses_a_stranger_before_reading_the_body(
    telegram: httpx.AsyncClient, broker: NatsBroker, secret: str | None
) -> None:
    forged = COUNTERS["forged"]
    body = CountingBody(4 * TELEGRAM_MAX_BODY)  # 4 MB, over the cap: 401, not 413 nor a quarantine
    response = await telegram.post("/channels/telegram/webhook", content=body, headers=telegram_headers(secret))
    assert response.status_code == 401, response.text
    assert body.read == 0
    assert COUNTERS["forged"] == forged + 1
    assert await stream_count(broker) == 0 and await stream_count(broker, "SHUNT") == 0


async def test_telegram_stops_reading_a_body_over_the_cap(telegram: httpx.AsyncClient, broker: NatsBroker) -> None:
    """With the right secret, read no further than the cap; kept in quarantine with the reason (the channel's
    contract: a refused update is answered 200, else Telegram resends it for 24 hours)."""
    body = CountingBody(4 * TELEGRAM_MAX_BODY)
    response = await telegram.post("/channels/telegram/webhook", content=body,
                                   headers=telegram_headers(TELEGRAM_SECRET))
    assert response.status_code == 200 and response.json() == {"detail": "quarantined"}
    assert 0 < body.read <= TELEGRAM_MAX_BODY // CHUNK + 1
    assert await stream_count(broker) == 0
    shunted = await jetstream_of(broker).get_last_msg("SHUNT", "shunt.>")
    assert shunted.data is not None and len(shunted.data) < 2 * TELEGRAM_MAX_BODY


@pytest.mark.parametrize(("secret", "status"), [(TELEGRAM_SECRET, 400), ("wrong-secret", 401)])
async def test_telegram_refuses_deeply_nested_json(
    telegram: httpx.AsyncClient, broker: NatsBroker, secret: str, status: int
) -> None:
    response = await telegram.post("/channels/telegram/webhook", content=nested({"update_id": 900000777}),
                                   headers=telegram_headers(secret))
    assert response.status_code == status, response.text
    if status == 400:
        assert "вложен" in response.json()["error"] and "nested" in response.json()["error_en"]
    assert await stream_count(broker) == 0


# --- VK ---------------------------------------------------------------------------------------------------


@pytest.fixture
async def vk(settings: Settings, database: Database, broker: NatsBroker) -> AsyncIterator[httpx.AsyncClient]:
    fake = await FakeVk(GROUP_ID).start()
    try:
        async with web_client(settings.model_copy(update={"vk": vk_config(fake)}), database, broker) as client:
            yield client
    finally:
        await fake.stop()


@pytest.mark.parametrize("secret", [None, VK_SECRET])
async def test_vk_refuses_deeply_nested_json_before_the_secret(
    vk: httpx.AsyncClient, broker: NatsBroker, secret: str | None
) -> None:
    body = event("message_new")
    if secret is None:
        del body["secret"]
    for payload in (nested(body), DEEP):
        response = await vk.post("/channels/vk/callback", content=payload,
                                 headers={"Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert "nested" in response.text and "вложен" in response.text
    assert await stream_count(broker) == 0


async def test_vk_refuses_a_declared_length_over_the_cap_unread(vk: httpx.AsyncClient) -> None:
    body = CountingBody(4 * VK_MAX_BODY)
    response = await vk.post("/channels/vk/callback", content=body,
                             headers={"Content-Type": "application/json", "Content-Length": str(4 * VK_MAX_BODY)})
    assert response.status_code == 413
    assert body.read == 0


# --- REST -------------------------------------------------------------------------------------------------

FEEDBACK = {"text": "Третий день нет интернета", "contract_number": "Д-000123"}


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token"])
@pytest.mark.parametrize("declared", [False, True])
async def test_rest_refuses_a_stranger_before_reading_a_huge_body(
    web: httpx.AsyncClient, broker: NatsBroker, authorization: str | None, declared: bool
) -> None:
    body = CountingBody(4 * 1024 * 1024)
    headers = {"Content-Type": "application/json", "Idempotency-Key": "k-hostile-1"}
    if authorization is not None:
        headers["Authorization"] = authorization
    if declared:
        headers["Content-Length"] = str(4 * 1024 * 1024)
    response = await web.post("/api/v1/feedback", content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert body.read == 0
    assert await stream_count(broker) == 0


async def test_rest_refuses_a_declared_length_over_the_cap_unread(api: httpx.AsyncClient) -> None:
    body = CountingBody(4 * 1024 * 1024)
    headers = {"Content-Type": "application/json", "Idempotency-Key": "k-hostile-2",
               "Content-Length": str(4 * 1024 * 1024)}
    response = await api.post("/api/v1/feedback", content=body, headers=headers)
    assert response.status_code == 413, response.text
    assert body.read == 0
    assert str(MAX_BODY_BYTES // 1024) in response.json()["error"]


async def test_rest_refuses_deeply_nested_json(api: httpx.AsyncClient, broker: NatsBroker,
                                               database: Database) -> None:
    headers = {"Content-Type": "application/json", "Idempotency-Key": "k-hostile-3"}
    for payload in (nested(FEEDBACK), DEEP):
        response = await api.post("/api/v1/feedback", content=payload, headers=headers)
        assert response.status_code == 422, response.text
        answer = response.json()
        assert "вложен" in answer["error"] and "nested" in answer["error_en"]
    await add_staff(database, "petrova", role="subscriber_head")
    response = await api.post("/api/v1/tickets/C-2025-000001/actions/comment", content=DEEP,
                              headers={**headers, "X-On-Behalf-Of": "petrova"})
    assert response.status_code == 422, response.text
    assert await stream_count(broker) == 0


# --- integers too large for the database ------------------------------------------------------------------

HUGE = [2**31, 2**63, 10**30]


@pytest.mark.parametrize("value", HUGE)
async def test_rest_refuses_a_huge_offset(api: httpx.AsyncClient, value: int) -> None:
    response = await api.get("/api/v1/tickets", params={"offset": value})
    assert response.status_code == 422, response.text
    assert "offset" in response.json()["error_en"]


async def test_staff_pages_refuse_huge_ids(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "head", role="subscriber_head")
    await login(web, "head")
    for value in HUGE:
        for path in (f"/attachments/{value}", f"/letters/{value}.pdf"):
            response = await web.get(path)
            assert 400 <= response.status_code < 500, (path, response.status_code)
        response = await web.get("/phone/new", params={"client_id": value})
        assert 400 <= response.status_code < 500, response.status_code
    assert (await web.get("/attachments/1")).status_code == 404  # a small id is still looked up


# --- numbers typed into a form or a query string --------------------------------------------------------
# str.isdigit() is true for "²" (int() refuses it) and for "٣" (an Arabic-Indic three); a long run of digits is a
# number PostgreSQL's INTEGER keys cannot hold.

TYPED_IDS = ["²", "١٢", "99999999999", "2147483648", "0"]


async def test_rest_ticket_list_takes_a_typed_client_as_a_contract_or_a_plain_id(api: httpx.AsyncClient) -> None:
    for value in TYPED_IDS:
        response = await api.get("/api/v1/tickets", params={"client": value})
        assert response.status_code == 200, (value, response.status_code)
        assert response.json() == {"items": [], "total": 0}


async def test_the_phone_form_refuses_a_client_id_that_is_not_a_plain_number(
    web: httpx.AsyncClient, database: Database, broker: NatsBroker,
) -> None:
    await add_staff(database, "oper1")
    await login(web, "oper1")
    csrf = csrf_of((await web.get("/")).text)
    for value in TYPED_IDS:
        response = await web.post("/phone/new", data={
            "csrf_token": csrf, "idempotency_key": str(uuid.uuid4()), "client_id": value, "text": "Нет интернета",
            "caller_phone": "+79161234567"})
        assert response.status_code == 400, (value, response.status_code)
        assert "Некорректный клиент в форме." in response.text
    assert await stream_count(broker) == 0


async def test_a_scan_confirmation_refuses_a_client_id_that_is_not_a_plain_number(
    web: httpx.AsyncClient, database: Database, settings: Settings,
) -> None:
    number, _client_id = await scanned(database, settings)
    await login(web, "op.anna")
    page = await web.get(f"/scans/{number}")
    for value in TYPED_IDS:
        response = await web.post(f"/scans/{number}/confirm", data={"csrf_token": csrf_of(page.text),
                                                                    "client_id": value})
        assert response.status_code == 303, (value, response.status_code)  # back to the scan, nothing confirmed
        ticket, review = await review_of(database, number)
        assert (ticket.client_id, review.status) == (None, "pending")
