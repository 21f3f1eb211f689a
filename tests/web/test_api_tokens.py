"""REST API tokens: scopes per route (401 vs 403), X-On-Behalf-Of, and the token checked before the body."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from pydantic import SecretStr, ValidationError

from tests.web.conftest import request_records, stream_count
from tests.web.factories import add_staff, add_ticket
from workers.app.runtime import Database
from workers.app.settings import ApiToken, Settings
from workers.web import create_app
from workers.web.api.auth import Acting, acting_for
from workers.web.deps import SessionDep

# SQLite and a real PostgreSQL.
pytestmark = pytest.mark.usefixtures("database_url")

GOOD = {"text": "Третий день нет интернета", "contract_number": "Д-000123"}

TOKENS: dict[str, Any] = {
    "lk": "tok-lk",  # a plain string: the scope feedback only
    "crm": {"token": "tok-crm", "scopes": ["feedback"]},
    "reader": {"token": "tok-reader", "scopes": ["tickets:read"]},
    "actor": {"token": "tok-actor", "scopes": ["tickets:act"]},
    "desk": {"token": "tok-desk", "scopes": ["tickets:read", "tickets:act"]},
}


def bearer(client: str) -> dict[str, str]:
    entry = TOKENS[client]
    return {"Authorization": f"Bearer {entry if isinstance(entry, str) else entry['token']}"}


# --- settings ----------------------------------------------------------------------------------------


def test_object_and_plain_string_forms() -> None:
    settings = Settings(_env_file=None, api_tokens=TOKENS)
    assert settings.api_tokens["lk"].scopes == {"feedback"}
    assert settings.api_tokens["lk"].token.get_secret_value() == "tok-lk"
    assert settings.api_tokens["desk"].scopes == {"tickets:read", "tickets:act"}
    assert isinstance(settings.api_tokens["desk"].token, SecretStr)
    for text in (repr(settings), str(settings), repr(settings.api_tokens)):
        assert "tok-" not in text


def test_tokens_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLAINTS_API_TOKENS",
                       '{"lk": "tok-lk", "crm": {"token": "tok-crm", "scopes": ["feedback", "tickets:read"]}}')
    tokens = Settings(_env_file=None).api_tokens
    assert tokens["lk"] == ApiToken(token=SecretStr("tok-lk"), scopes=frozenset({"feedback"}))
    assert tokens["crm"].scopes == {"feedback", "tickets:read"}


@pytest.mark.parametrize(("entry", "where", "says"), [
    ({"token": "tok-secret", "scopes": ["tickets:write"]}, "api_tokens.crm.scopes",
     "unknown API scope 'tickets:write': the scopes are feedback, tickets:read, tickets:act"),
    ({"token": "tok-secret", "scopes": "tickets:read"}, "api_tokens.crm.scopes", "must be a JSON list"),
    ({"token": "tok-secret", "scopes": []}, "api_tokens.crm.scopes", "at least 1 item"),
    ({"token": "tok-secret"}, "api_tokens.crm.scopes", "Field required"),
    ({"token": "tok-secret", "scopes": ["feedback"], "scope": ["tickets:act"]}, "api_tokens.crm.scope",
     "Extra inputs are not permitted"),
    (["tok-secret"], "api_tokens.crm", "valid dictionary"),
    ({"token": ["tok-secret"], "scopes": ["feedback"]}, "api_tokens.crm.token", "valid string"),
])
def test_bad_tokens_are_clear_settings_errors_without_the_secret(entry: object, where: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, api_tokens={"crm": entry})
    message = str(caught.value)
    assert where in message and says in message
    assert "tok-secret" not in message


def test_api_client_names_fit_the_store() -> None:
    with pytest.raises(ValidationError, match="at most 64 characters"):
        Settings(_env_file=None, api_tokens={"x" * 65: "tok-secret"})


# --- the app with several tokens ---------------------------------------------------------------------

probe = APIRouter(prefix="/api/v1/probe")


@probe.post("/act")
async def act(acting: Acting = Depends(acting_for("tickets:act")), *, session: SessionDep) -> dict[str, Any]:
    """What the ticket action endpoints get: the API client and the staff member, in the handler's session."""
    assert isinstance(acting, tuple)
    client, staff = acting
    assert staff is not None and staff in session
    return {"client": client, "staff": staff.login}


@probe.get("/read")
async def read(acting: Acting = Depends(acting_for("tickets:read"))) -> dict[str, Any]:
    return {"client": acting.api_client, "staff": acting.staff.login if acting.staff else None}


@pytest.fixture
def scoped_app(settings: Settings, database: Database, broker: Any) -> FastAPI:
    tokens = {name: ApiToken.model_validate(entry) for name, entry in TOKENS.items()}
    app = create_app(settings.model_copy(update={"api_tokens": tokens}), database, broker)
    app.include_router(probe)
    return app


@pytest.fixture
async def http(scoped_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=scoped_app), base_url="http://t") as client:
        yield client



SUBMISSION = f"/api/v1/submissions/{uuid.uuid4()}"
ROUTES = [  # method, path, the scope it needs
    ("POST", "/api/v1/feedback", "feedback"),
    ("GET", SUBMISSION, "feedback"),
    ("GET", "/api/v1/tickets/C-2025-000001", "tickets:read"),
    ("GET", "/api/v1/tickets?client=1", "tickets:read"),
    ("GET", "/api/v1/probe/read", "tickets:read"),
    ("POST", "/api/v1/probe/act", "tickets:act"),
]


async def call(http: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    headers = {"Idempotency-Key": f"k-{uuid.uuid4().hex}", **headers}
    if method == "POST":
        return await http.post(path, json=GOOD, headers=headers)
    return await http.get(path, headers=headers)


@pytest.mark.parametrize(("method", "path", "scope"), ROUTES)
async def test_401_without_a_valid_token_403_without_the_scope(
    http: httpx.AsyncClient, database: Database, method: str, path: str, scope: str
) -> None:
    await add_staff(database, "petrova")
    for headers in ({}, {"Authorization": "Bearer tok-nobody"}, {"Authorization": "Basic tok-lk"}):
        response = await call(http, method, path, {**headers, "X-On-Behalf-Of": "petrova"})
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")
    for client, entry in TOKENS.items():
        scopes = {"feedback"} if isinstance(entry, str) else set(entry["scopes"])
        response = await call(http, method, path, {**bearer(client), "X-On-Behalf-Of": "petrova"})
        if scope in scopes:
            assert response.status_code not in (401, 403), (client, response.text)
        else:
            assert response.status_code == 403, (client, response.text)
            assert response.headers["content-type"].startswith("application/json")
            assert response.json() == {
                "error": f"Токену не разрешён этот вызов: нужна область доступа «{scope}».",
                "error_en": f'The token is not allowed to make this call: it needs the scope "{scope}".',
            }


async def test_a_feedback_token_cannot_read_tickets(http: httpx.AsyncClient, database: Database) -> None:
    await add_ticket(database, "C-2025-000001", client_id=None, assignee=None)
    for client in ("lk", "crm"):
        assert (await http.get("/api/v1/tickets/C-2025-000001", headers=bearer(client))).status_code == 403
        assert (await http.get("/api/v1/tickets", headers=bearer(client))).status_code == 403
    read = await http.get("/api/v1/tickets/C-2025-000001", headers=bearer("reader"))
    assert read.status_code == 200 and read.json()["number"] == "C-2025-000001"
    assert (await http.get("/api/v1/tickets", headers=bearer("desk"))).json()["total"] == 1


async def test_a_tickets_token_cannot_post_feedback(http: httpx.AsyncClient, broker: Any, database: Database) -> None:
    for client in ("reader", "actor", "desk"):
        good = await http.post("/api/v1/feedback", json=GOOD, headers={**bearer(client), "Idempotency-Key": "k1"})
        assert good.status_code == 403 and "feedback" in good.json()["error_en"]
        # The scope is checked before the Idempotency-Key and the body.
        bare = await http.post("/api/v1/feedback", content=b"{not json", headers=bearer(client))
        assert bare.status_code == 403
    assert await stream_count(broker) == 0
    assert await request_records(broker) == 0


async def test_submissions_of_another_api_client_are_404(http: httpx.AsyncClient) -> None:
    accepted = await http.post("/api/v1/feedback", json=GOOD, headers={**bearer("lk"), "Idempotency-Key": "k1"})
    assert accepted.status_code == 202, accepted.text
    url = accepted.json()["status_url"]
    assert (await http.get(url, headers=bearer("lk"))).json()["status"] == "accepted"
    other = await http.get(url, headers=bearer("crm"))
    assert other.status_code == 404 and other.json()["error_en"] == "The submission was not found."
    assert (await http.get(url, headers=bearer("desk"))).status_code == 403  # no feedback scope at all


# --- X-On-Behalf-Of ----------------------------------------------------------------------------------


async def test_acting_for_an_active_staff_member(http: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "petrova")
    for client in ("actor", "desk"):
        response = await http.post("/api/v1/probe/act", headers={**bearer(client), "X-On-Behalf-Of": " petrova "})
        assert response.status_code == 200, response.text
        assert response.json() == {"client": client, "staff": "petrova"}


@pytest.mark.parametrize("header", [None, "", "   "])
async def test_acting_without_the_header_is_400(http: httpx.AsyncClient, header: str | None) -> None:
    headers = bearer("actor") if header is None else {**bearer("actor"), "X-On-Behalf-Of": header}
    response = await http.post("/api/v1/probe/act", headers=headers)
    assert response.status_code == 400
    body = response.json()
    assert "X-On-Behalf-Of" in body["error"] and "X-On-Behalf-Of" in body["error_en"]
    assert body["error_en"].startswith("Name the staff member")


async def test_acting_for_an_unknown_or_inactive_login_is_403(http: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "sidorov", active=False)
    unknown = await http.post("/api/v1/probe/act", headers={**bearer("actor"), "X-On-Behalf-Of": "nobody"})
    assert unknown.status_code == 403
    assert unknown.json() == {
        "error": "Сотрудник «nobody» из заголовка X-On-Behalf-Of не найден: действовать от его имени нельзя.",
        "error_en": 'The staff member "nobody" named by X-On-Behalf-Of does not exist: the call cannot act for them.',
    }
    inactive = await http.post("/api/v1/probe/act", headers={**bearer("actor"), "X-On-Behalf-Of": "sidorov"})
    assert inactive.status_code == 403
    assert "отключён" in inactive.json()["error"] and "deactivated" in inactive.json()["error_en"]
    long = await http.post("/api/v1/probe/act", headers={**bearer("actor"), "X-On-Behalf-Of": "x" * 500})
    assert long.status_code == 403 and "x" * 65 not in long.text


async def test_a_token_without_the_scope_gets_403_before_the_header_is_looked_at(http: httpx.AsyncClient) -> None:
    for headers in ({}, {"X-On-Behalf-Of": "nobody"}):
        response = await http.post("/api/v1/probe/act", headers={**bearer("reader"), **headers})
        assert response.status_code == 403 and "tickets:act" in response.json()["error_en"]


async def test_on_behalf_of_is_optional_for_reading_but_checked(http: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "petrova", role="manager")  # managers see the unassigned queue
    await add_staff(database, "sidorov", active=False)
    await add_ticket(database, "C-2025-000001", client_id=None, assignee=None)
    assert (await http.get("/api/v1/probe/read", headers=bearer("reader"))).json() == {
        "client": "reader", "staff": None}
    assert (await http.get("/api/v1/probe/read", headers={**bearer("reader"), "X-On-Behalf-Of": "petrova"})).json() == {
        "client": "reader", "staff": "petrova"}
    for login in ("nobody", "sidorov"):
        for path in ("/api/v1/probe/read", "/api/v1/tickets/C-2025-000001", "/api/v1/tickets"):
            response = await http.get(path, headers={**bearer("reader"), "X-On-Behalf-Of": login})
            assert response.status_code == 403, (login, path)
    ticket = await http.get("/api/v1/tickets/C-2025-000001", headers={**bearer("reader"), "X-On-Behalf-Of": "petrova"})
    assert ticket.status_code == 200


async def test_the_header_is_in_the_openapi_document(scoped_app: FastAPI) -> None:
    parameters = scoped_app.openapi()["paths"]["/api/v1/tickets"]["get"]["parameters"]
    assert "X-On-Behalf-Of" in {p["name"] for p in parameters if p["in"] == "header"}


# --- the token comes before the body -----------------------------------------------------------------


class CountingBody:
    """A request body that counts the chunks the app pulled: none, if it answered without reading."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.read += 1
            yield chunk


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 401),
    ({"Authorization": "Bearer tok-nobody", "Idempotency-Key": "k1"}, 401),
    ({**bearer("reader"), "Idempotency-Key": "k1"}, 403),
])
@pytest.mark.parametrize("chunks", [
    [b"x" * (1024 * 1024)] * 4,  # 4 MB, far over the 256 KB cap (413 if it were read)
    [b"{not json"],  # 422 if it were read
])
async def test_the_token_is_checked_before_the_body_is_read(
    http: httpx.AsyncClient, broker: Any, headers: dict[str, str], status: int, chunks: list[bytes]
) -> None:
    body = CountingBody(chunks)
    response = await http.post("/api/v1/feedback", content=body,
                               headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == status, response.text
    assert body.read == 0
    assert await stream_count(broker) == 0


async def test_a_feedback_token_still_gets_413_and_422(http: httpx.AsyncClient) -> None:
    """The same bodies with the right token do reach the body checks."""
    headers = {**bearer("lk"), "Idempotency-Key": "k1", "Content-Type": "application/json"}
    too_big = await http.post("/api/v1/feedback", content=b"x" * (300 * 1024), headers=headers)
    assert too_big.status_code == 413
    invalid = await http.post("/api/v1/feedback", content=b"{not json", headers=headers)
    assert invalid.status_code == 422


@pytest.mark.parametrize(("path", "token"), [("/api/v1/feedback", "lk"),
                                             ("/api/v1/tickets/C-2025-000001/actions/comment", "actor")])
async def test_a_body_over_the_cap_is_refused_while_it_streams(
    http: httpx.AsyncClient, database: Database, path: str, token: str
) -> None:
    """413 as soon as the cap is passed: the rest of a huge body is never read (nor held in memory)."""
    await add_staff(database, "petrova", role="subscriber_head")
    body = CountingBody([b"x" * (64 * 1024)] * 64)  # 4 MB in 64 KB chunks; the cap is 256 KB
    headers = {**bearer(token), "Idempotency-Key": "k1", "X-On-Behalf-Of": "petrova",
               "Content-Type": "application/json"}
    response = await http.post(path, content=body, headers=headers)
    assert response.status_code == 413, response.text
    assert 0 < body.read <= 5
