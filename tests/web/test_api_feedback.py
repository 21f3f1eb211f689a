"""POST /api/v1/feedback: token, Idempotency-Key, validation, durable hand-off to INTAKE."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from channels.base import Channel, RawSubmission, submission_id_for
from router.models import Delivery, Outbox, Ticket
from tests.web.conftest import API_TOKEN, connected_broker, last_intake, request_records, stream_count
from tests.web.factories import REGISTERED_AT, add_ticket
from workers.app.nats_embedded import EmbeddedNats
from workers.app.runtime import Database
from workers.app.settings import ApiToken, Settings
from workers.bus.publish import IntakeUnavailable
from workers.web import create_app

# SQLite and a real PostgreSQL (datetimes, unique-key races behave differently).
pytestmark = pytest.mark.usefixtures("database_url")

GOOD = {
    "text": "Третий день нет интернета, прошу перерасчёт",
    "contract_number": "Д-000123",
    "email": "ivan@example.ru",
}



async def test_token_is_required(api: httpx.AsyncClient, broker) -> None:
    no_token = await api.post("/api/v1/feedback", json=GOOD, headers={"Authorization": "", "Idempotency-Key": "k1"})
    assert no_token.status_code == 401
    assert no_token.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization" in no_token.json()["error_en"]
    wrong = await api.post("/api/v1/feedback", json=GOOD,
                           headers={"Authorization": "Bearer not-the-token", "Idempotency-Key": "k1"})
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "Токен доступа недействителен.", "error_en": "The access token is not valid."}
    basic = await api.get("/api/v1/tickets", headers={"Authorization": f"Basic {API_TOKEN}"})
    assert basic.status_code == 401
    assert await stream_count(broker) == 0


async def test_auth_is_checked_before_the_body(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/feedback", content=b"{not json", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


async def test_accepted_feedback_is_in_the_intake_stream(api: httpx.AsyncClient, broker, database: Database) -> None:
    response = await api.post("/api/v1/feedback", json=GOOD, headers={"Idempotency-Key": "lk-order-42"})
    assert response.status_code == 202, response.text
    body = response.json()
    expected_id = str(submission_id_for(Channel.WEB, "lk:lk-order-42"))
    assert body == {"submission_id": expected_id, "status": "accepted",
                    "status_url": f"/api/v1/submissions/{expected_id}"}
    assert response.headers["location"] == body["status_url"]

    assert await stream_count(broker) == 1
    data = await last_intake(broker, "web")
    assert data is not None
    raw = RawSubmission.model_validate_json(data)
    assert str(raw.submission_id) == expected_id
    assert raw.channel is Channel.WEB
    assert raw.native_id == "lk:lk-order-42"
    assert raw.payload == GOOD
    assert raw.received_at.tzinfo is not None
    assert await request_records(broker) == 1


async def test_same_key_and_body_is_one_submission(api: httpx.AsyncClient, broker, database: Database) -> None:
    headers = {"Idempotency-Key": "resend-1"}
    first = await api.post("/api/v1/feedback", json=GOOD, headers=headers)
    # The same body with other key order and whitespace is still the same body.
    second = await api.post("/api/v1/feedback", headers={**headers, "Content-Type": "application/json"},
                            content=b'{ "email": "ivan@example.ru", "contract_number": "\xd0\x94-000123",'
                                    b' "text": "\xd0\xa2\xd1\x80\xd0\xb5\xd1\x82\xd0\xb8\xd0\xb9 \xd0\xb4\xd0\xb5'
                                    b'\xd0\xbd\xd1\x8c \xd0\xbd\xd0\xb5\xd1\x82 \xd0\xb8\xd0\xbd\xd1\x82\xd0\xb5'
                                    b'\xd1\x80\xd0\xbd\xd0\xb5\xd1\x82\xd0\xb0, \xd0\xbf\xd1\x80\xd0\xbe\xd1\x88'
                                    b'\xd1\x83 \xd0\xbf\xd0\xb5\xd1\x80\xd0\xb5\xd1\x80\xd0\xb0\xd1\x81\xd1\x87'
                                    b'\xd1\x91\xd1\x82" }')
    assert first.status_code == second.status_code == 202, second.text
    assert first.json()["submission_id"] == second.json()["submission_id"]
    assert await stream_count(broker) == 1  # JetStream dropped the second publish on its Nats-Msg-Id
    assert await request_records(broker) == 1


async def test_same_key_with_another_body_is_a_conflict(api: httpx.AsyncClient, broker) -> None:
    headers = {"Idempotency-Key": "reused-key"}
    assert (await api.post("/api/v1/feedback", json=GOOD, headers=headers)).status_code == 202
    other = await api.post("/api/v1/feedback", json={**GOOD, "text": "Совсем другая претензия"}, headers=headers)
    assert other.status_code == 409
    error = other.json()
    assert "Idempotency-Key" in error["error"] and "другим содержанием" in error["error"]
    assert "different body" in error["error_en"]
    assert await stream_count(broker) == 1


async def test_keys_are_per_api_client(settings: Settings, database: Database, broker) -> None:
    settings = settings.model_copy(
        update={"api_tokens": {"lk": settings.api_tokens["lk"], "crm": ApiToken.model_validate("tok-crm")}}
    )
    app = create_app(settings, database, broker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        a = await client.post("/api/v1/feedback", json=GOOD,
                              headers={"Authorization": f"Bearer {API_TOKEN}", "Idempotency-Key": "same"})
        b = await client.post("/api/v1/feedback", json={**GOOD, "text": "другое"},
                              headers={"Authorization": "Bearer tok-crm", "Idempotency-Key": "same"})
        assert a.status_code == b.status_code == 202
        assert a.json()["submission_id"] != b.json()["submission_id"]
        # A client cannot read another client's submission.
        peek = await client.get(f"/api/v1/submissions/{a.json()['submission_id']}",
                                headers={"Authorization": "Bearer tok-crm"})
        assert peek.status_code == 404
    assert await stream_count(broker) == 2


@pytest.mark.parametrize("key", [None, "", "with space", "кириллица".encode(), "x" * 201, "semi;colon"])
async def test_idempotency_key_is_required_and_checked(api: httpx.AsyncClient, broker, database, key) -> None:
    headers: dict[str, str | bytes] = {} if key is None else {"Idempotency-Key": key}
    response = await api.post("/api/v1/feedback", json=GOOD, headers=headers)
    assert response.status_code == 400
    error = response.json()
    assert "Idempotency-Key" in error["error"] and "Idempotency-Key" in error["error_en"]
    assert await stream_count(broker) == 0
    assert await request_records(broker) == 0


@pytest.mark.parametrize("key", ["a", "lk:2025-11-05T10.30_x-1", "x" * 200])
async def test_idempotency_key_alphabet(api: httpx.AsyncClient, key: str) -> None:
    response = await api.post("/api/v1/feedback", json=GOOD, headers={"Idempotency-Key": key})
    assert response.status_code == 202, response.text


REJECTED = [
    pytest.param({"contract_number": "Д-1"}, "text", "Не указан текст претензии", "complaint text is missing",
                 id="missing-text"),
    pytest.param({"text": "   ", "contract_number": "Д-1"}, "text", "Текст претензии пуст", "text is empty",
                 id="blank-text"),
    pytest.param({"text": "а" * 20_001, "contract_number": "Д-1"}, "text", "не более 20000 символов",
                 "at most 20000 characters", id="text-too-long"),
    pytest.param({"text": "Нет связи", "email": "ivan-at-example.ru"}, "email",
                 "Некорректный адрес электронной почты", "e-mail address is not valid", id="bad-email"),
    pytest.param({"text": "Нет связи", "name": "Иван"}, None,
                 "Укажите номер договора, лицевой счёт, телефон или e-mail",
                 "Give a contract number, account number, phone or e-mail", id="no-identity"),
    pytest.param({"text": "Нет связи", "contract_number": "Д-1", "password": "x"}, "password",
                 "Неизвестное поле «password»", "Unknown field 'password'", id="unknown-field"),
    pytest.param({"text": 42, "contract_number": "Д-1"}, "text", "должно быть строкой", "must be a string",
                 id="text-not-a-string"),
]


@pytest.mark.parametrize(("body", "field", "ru", "en"), REJECTED)
async def test_rejected_bodies_explain_themselves_and_store_nothing(
    api: httpx.AsyncClient, broker, database: Database, body, field, ru, en
) -> None:
    response = await api.post("/api/v1/feedback", json=body, headers={"Idempotency-Key": "bad-1"})
    assert response.status_code == 422, response.text
    error = response.json()
    assert set(error) == {"error", "error_en", "details"}
    assert error["error"].startswith("Претензия не принята.") and ru in error["error"]
    assert error["error_en"].startswith("The complaint was not accepted.") and en in error["error_en"]
    assert [d["field"] for d in error["details"]] == [field]
    assert ru in error["details"][0]["message"]
    assert "а" * 100 not in response.text  # the input is never echoed back
    assert await stream_count(broker) == 0
    assert await request_records(broker) == 0
    # The key was not consumed: a corrected request with it is accepted.
    fixed = await api.post("/api/v1/feedback", json=GOOD, headers={"Idempotency-Key": "bad-1"})
    assert fixed.status_code == 202


@pytest.mark.parametrize(("content", "ru"), [
    (b"", "Тело запроса пусто"),
    (b"{\"text\": ", "не является корректным JSON"),
    (b"[1, 2]", "должно быть JSON-объектом"),
    (b"\xff\xfe", "не является корректным JSON"),
])
async def test_unreadable_bodies(api: httpx.AsyncClient, broker, database: Database, content: bytes, ru: str) -> None:
    response = await api.post("/api/v1/feedback", content=content,
                              headers={"Idempotency-Key": "raw-1", "Content-Type": "application/json"})
    assert response.status_code == 422
    assert ru in response.json()["error"]
    assert response.json()["details"][0]["field"] is None
    assert await stream_count(broker) == 0
    assert await request_records(broker) == 0


async def test_several_problems_are_all_listed(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/feedback", json={"email": "nope", "subject": "т" * 301},
                              headers={"Idempotency-Key": "many"})
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["details"]}
    assert fields == {"text", "email", "subject"}


async def test_submission_status_follows_the_router(api: httpx.AsyncClient, database: Database) -> None:
    accepted = await api.post("/api/v1/feedback", json=GOOD, headers={"Idempotency-Key": "status-1"})
    sid = accepted.json()["submission_id"]
    status = await api.get(f"/api/v1/submissions/{sid}")
    assert status.status_code == 200
    assert status.json() == {"submission_id": sid, "status": "accepted", "ticket_number": None, "answers": []}

    # What the router writes once it has made the ticket.
    await add_ticket(database, "C-2025-000077", client_id=None, assignee=None, submission_id=sid,
                     native_id="lk:status-1")
    status = await api.get(f"/api/v1/submissions/{sid}")
    assert status.json() == {"submission_id": sid, "status": "registered", "ticket_number": "C-2025-000077",
                             "ticket_status": "open", "answers": []}

    # The personal account has no push channel: the deliver worker publishes each answer in the status
    # (workers.channels.senders.web_status); a call-back or another channel's delivery is not shown.
    async with database.sessions() as session:
        ticket_id = await session.scalar(select(Ticket.id).where(Ticket.number == "C-2025-000077"))
        for outbox_id, channel, text in ((501, "web", "Здравствуйте! Ответ по претензии."),
                                         (502, "callback", "Текст для звонка")):
            session.add(Outbox(id=outbox_id, subject=f"outbound.{channel}", payload={"text": text},
                               created_at=REGISTERED_AT, ticket_id=ticket_id, attempts=0, sent_at=REGISTERED_AT))
            session.add(Delivery(outbox_id=outbox_id, ticket_id=ticket_id, channel=channel,
                                 status="sent" if channel == "web" else "callback", at=REGISTERED_AT))
        await session.commit()
    answers = (await api.get(f"/api/v1/submissions/{sid}")).json()["answers"]
    assert answers == [{"at": REGISTERED_AT.isoformat(), "text": "Здравствуйте! Ответ по претензии."}]

    for unknown in (str(uuid.uuid4()), "not-a-uuid"):
        missing = await api.get(f"/api/v1/submissions/{unknown}")
        assert missing.status_code == 404
        assert missing.json()["error_en"] == "The submission was not found."


async def test_nats_down_answers_503_and_a_retry_works(
    tmp_path: Path, settings: Settings, database: Database, broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The INTAKE publish fails: 503, and the Idempotency-Key is free again for the retry."""
    monkeypatch.setattr("workers.bus.publish.PUBLISH_TIMEOUT", 1.0)
    other_dir = tmp_path / "other-nats"
    other_dir.mkdir()
    server = EmbeddedNats(other_dir)
    doomed = await connected_broker(server.start(), settings)
    try:
        server.stop()
        down: FastAPI = create_app(settings, database, doomed)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=down), base_url="http://t",
                                     headers={"Authorization": f"Bearer {API_TOKEN}"}) as client:
            response = await client.post("/api/v1/feedback", json=GOOD, headers={"Idempotency-Key": "retry-me"})
            assert response.status_code == 503
            assert response.headers["retry-after"]
            assert "Повторите запрос с тем же Idempotency-Key" in response.json()["error"]
            assert await request_records(broker) == 0
            health = await client.get("/healthz")
            assert health.status_code == 503
            assert health.json()["nats"] == "unavailable" and health.json()["database"] == "ok"
    finally:
        with contextlib.suppress(Exception):  # the server is gone: closing may find the socket dead
            await doomed.connection.close()

    up = create_app(settings, database, broker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=up), base_url="http://t",
                                 headers={"Authorization": f"Bearer {API_TOKEN}"}) as client:
        retry = await client.post("/api/v1/feedback", json=GOOD, headers={"Idempotency-Key": "retry-me"})
        assert retry.status_code == 202
    assert await stream_count(broker) == 1
    assert await request_records(broker) == 1


async def test_a_failed_publish_frees_the_key(
    api: httpx.AsyncClient, broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key is recorded, then the INTAKE publish fails: 503, the record is gone, and the key is free for
    any body (the request was never accepted)."""
    async def intake_away(_broker: object, raw: RawSubmission) -> None:
        raise IntakeUnavailable(str(raw.submission_id))

    with monkeypatch.context() as patched:
        patched.setattr("workers.web.api.feedback.hand_off", intake_away)
        refused = await api.post("/api/v1/feedback", json=GOOD, headers={"Idempotency-Key": "freed-1"})
        assert refused.status_code == 503
        assert "Повторите запрос с тем же Idempotency-Key" in refused.json()["error"]
    assert await request_records(broker) == 0
    other = await api.post("/api/v1/feedback", json={**GOOD, "text": "Другая претензия"},
                           headers={"Idempotency-Key": "freed-1"})
    assert other.status_code == 202
    assert await request_records(broker) == 1
    assert await stream_count(broker) == 1


async def test_the_key_is_checked_while_the_database_is_away(settings: Settings, broker) -> None:
    """The record lives in JetStream: with no database at all, a resend is still one submission and a
    reused key with another body still a 409."""
    app = create_app(settings, None, broker)  # no lifespan under ASGITransport: app.state.database stays None
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t",
                                 headers={"Authorization": f"Bearer {API_TOKEN}"}) as client:
        first = await client.post("/api/v1/feedback", json=GOOD, headers={"Idempotency-Key": "no-db"})
        again = await client.post("/api/v1/feedback", json=GOOD, headers={"Idempotency-Key": "no-db"})
        other = await client.post("/api/v1/feedback", json={**GOOD, "text": "Совсем другая претензия"},
                                  headers={"Idempotency-Key": "no-db"})
    assert (first.status_code, again.status_code, other.status_code) == (202, 202, 409)
    assert first.json()["submission_id"] == again.json()["submission_id"]
    assert await stream_count(broker) == 1
    assert await request_records(broker) == 1
