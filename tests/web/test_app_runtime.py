"""The app's own lifespan, its health check, and personal data kept out of the logs."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from tests.web.conftest import API_TOKEN, login
from tests.web.factories import add_client, add_staff
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.web import create_app
from workers.web.privacy import DropQueryString


async def test_lifespan_opens_and_closes_what_it_owns(settings: Settings) -> None:
    app = create_app(settings)
    assert app.state.database is None and app.state.broker is None
    async with app.router.lifespan_context(app):
        assert app.state.database is not None and app.state.broker is not None
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            health = await client.get("/healthz")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            accepted = await client.post("/api/v1/feedback", json={"text": "Нет связи", "phone": "+79161234567"},
                                         headers={"Authorization": f"Bearer {API_TOKEN}", "Idempotency-Key": "ls"})
            assert accepted.status_code == 202  # the lifespan declared the streams and migrated the database
    assert app.state.database is None and app.state.broker is None


async def test_lifespan_leaves_what_the_caller_gave_alone(app: FastAPI, database: Database, broker) -> None:
    async with app.router.lifespan_context(app):
        assert app.state.database is database and app.state.broker is broker
    assert app.state.database is database and app.state.broker is broker
    assert broker.config.connection_state.connection.is_connected


async def test_without_lifespan_objects_pages_and_api_say_unavailable(settings: Settings) -> None:
    app = create_app(settings)  # lifespan never ran: no database, no broker
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        health = await client.get("/healthz")
        assert health.status_code == 503 and health.json() == {
            "status": "unavailable", "database": "unavailable", "nats": "unavailable"}
        api = await client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert api.status_code == 503 and "error_en" in api.json()


async def test_personal_data_stays_out_of_the_logs(
    api: httpx.AsyncClient, web: httpx.AsyncClient, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # production level; library DEBUG output (SQL parameters) is off there
    secret_text = "Мой паспорт 4510 123456, верните деньги"
    await api.post("/api/v1/feedback", headers={"Idempotency-Key": "pd-1"},
                   json={"text": secret_text, "email": "ivan.petrov@example.ru", "phone": "+79161234567"})
    await api.post("/api/v1/feedback", headers={"Idempotency-Key": "pd-2"},
                   json={"text": secret_text, "email": "not-an-email"})
    await add_staff(database, "oper1")
    await add_client(database, "Д-000123", "Иванов Иван", phones=("+79161234567",), packages=["Комфорт"])
    await login(web, "oper1")
    await web.get("/phone", params={"q": "+79161234567"})
    # The test's own HTTP client (httpx) logs the URLs it calls; everything else is the server side.
    server_side = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "accepted on web" in server_side  # the hand-off is logged, by id only
    for leaked in ("4510 123456", "ivan.petrov", "not-an-email", "79161234567", "Иванов"):
        assert leaked not in server_side, leaked


def test_access_log_loses_the_query_string() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/phone?q=%2B79161234567", "1.1", 200), None)
    assert DropQueryString().filter(record)
    assert "7916" not in record.getMessage() and "/phone?…" in record.getMessage()


def test_access_log_hides_the_secret_in_the_ok_webhook_path() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("217.20.145.193:5000", "POST", "/channels/ok/webhook/s3cr3t-path-value", "1.1", 200),
                               None)
    assert DropQueryString().filter(record)
    assert "s3cr3t" not in record.getMessage() and "/channels/ok/webhook/***" in record.getMessage()


async def test_unexpected_errors_answer_500_without_details(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("row for +79161234567 is broken")

    monkeypatch.setattr("workers.web.api.tickets.list_tickets", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t",
                                 headers={"Authorization": f"Bearer {API_TOKEN}"}) as client:
        response = await client.get("/api/v1/tickets")
    assert response.status_code == 500
    assert response.json() == {"error": "Внутренняя ошибка сервера. Повторите запрос позже.",
                               "error_en": "Internal server error. Retry later."}
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("workers.web")]
    assert ours == ["unhandled RuntimeError on GET /api/v1/tickets"]
