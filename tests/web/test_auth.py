"""Staff login: every page but /login and /healthz needs a session; CSRF on every form; inactive staff is out."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from router.models import Staff
from tests.web.conftest import csrf_of, login
from tests.web.factories import add_staff
from workers.app.runtime import Database

PAGES = ["/", "/phone", "/phone?q=8916", "/phone/new", "/tickets/C-2025-000001", "/quarantine",
         "/submissions/6f1c5a52-8a0e-4c8e-9a57-3b1d1c0de001", "/api/openapi.json"]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_redirect_to_login(web: httpx.AsyncClient, path: str) -> None:
    response = await web.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/")


async def test_posts_without_a_session_redirect_to_login(web: httpx.AsyncClient) -> None:
    for path in ("/phone/new", "/callbacks/1/done", "/quarantine/1/replay"):
        response = await web.post(path, data={"text": "x"})
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_login_page_and_health_are_public(web: httpx.AsyncClient) -> None:
    page = await web.get("/login")
    assert page.status_code == 200 and "Вход для сотрудников" in page.text
    assert (await web.get("/static/style.css")).status_code == 200
    health = await web.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok", "nats": "ok"}


async def test_login_then_pages_open(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "oper1", name="Смирнова Ольга")
    response = await login(web, "oper1")
    assert response.status_code == 303 and response.headers["location"] == "/"
    home = await web.get("/")
    assert home.status_code == 200
    assert "Смирнова Ольга" in home.text and "Мои открытые претензии" in home.text
    assert "complaints_session" in web.cookies


async def test_wrong_password_and_unknown_login(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "oper1")
    for user, password in (("oper1", "wrong"), ("nobody", "secret-pass")):
        response = await login(web, user, password)
        assert response.status_code == 401
        assert "Неверный логин или пароль" in response.text
    assert (await web.get("/")).status_code == 303


async def test_inactive_staff_cannot_log_in(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "gone", active=False)
    response = await login(web, "gone")
    assert response.status_code == 403 and "Учётная запись отключена" in response.text
    assert (await web.get("/")).status_code == 303


async def test_deactivation_ends_a_running_session(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "oper1")
    await login(web, "oper1")
    assert (await web.get("/")).status_code == 200
    async with database.sessions() as session, session.begin():
        await session.execute(update(Staff).where(Staff.login == "oper1").values(active=False))
    assert (await web.get("/")).status_code == 303


async def test_login_needs_the_csrf_token(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "oper1")
    await web.get("/login")
    response = await web.post("/login", data={"login": "oper1", "password": "secret-pass"})
    assert response.status_code == 403 and "Форма устарела" in response.text
    forged = await web.post("/login", data={"login": "oper1", "password": "secret-pass", "csrf_token": "forged"})
    assert forged.status_code == 403


async def test_logout_needs_csrf_and_ends_the_session(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "oper1")
    await login(web, "oper1")
    home = await web.get("/")
    assert (await web.post("/logout")).status_code == 403
    assert (await web.get("/")).status_code == 200
    out = await web.post("/logout", data={"csrf_token": csrf_of(home.text)})
    assert out.status_code == 303
    assert (await web.get("/")).status_code == 303


@pytest.mark.parametrize(("next_path", "expected"), [
    ("/phone", "/phone"), ("https://evil.example/", "/"), ("//evil.example/x", "/"), ("/\\evil", "/"),
])
async def test_login_redirects_only_to_local_paths(
    web: httpx.AsyncClient, database: Database, next_path: str, expected: str
) -> None:
    await add_staff(database, "oper1")
    page = await web.get("/login")
    response = await web.post("/login", data={"login": "oper1", "password": "secret-pass",
                                              "csrf_token": csrf_of(page.text), "next": next_path})
    assert response.status_code == 303 and response.headers["location"] == expected


async def test_unknown_page_is_a_russian_404(web: httpx.AsyncClient, api: httpx.AsyncClient) -> None:
    page = await web.get("/no/such/page")
    assert page.status_code == 404 and "Не найдено" in page.text
    api_404 = await api.get("/api/v1/nothing-here")
    assert api_404.status_code == 404 and api_404.json() == {"error": "Не найдено.", "error_en": "Not found."}
