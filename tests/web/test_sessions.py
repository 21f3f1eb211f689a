"""Server-side staff sessions: the cookie holds only a session id, so logout, a password change or a
deactivation by staff import ends the session even for a copy of the cookie taken before."""

from __future__ import annotations

import base64
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from router.directory_import.staff import import_staff, set_password
from router.models import StaffSession
from router.timeutil import aware, utcnow
from tests.web.conftest import csrf_of, login
from tests.web.factories import add_staff
from workers.app.runtime import Database

STAFF_CSV = "login,name,role,department,active\noper1,Сотрудник oper1,operator,subscriber,{active}\n"


def browser(app: FastAPI, cookie: str | None = None) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    if cookie is not None:
        client.cookies.set("complaints_session", cookie)
    return client


async def logged_in_cookie(web: httpx.AsyncClient, database: Database) -> str:
    await add_staff(database, "oper1")
    assert (await login(web, "oper1")).status_code == 303
    assert (await web.get("/")).status_code == 200
    cookie = web.cookies.get("complaints_session")
    assert cookie
    return cookie


async def test_a_cookie_copied_before_logout_no_longer_works(
    web: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    copied = await logged_in_cookie(web, database)
    async with browser(app, copied) as thief:
        assert (await thief.get("/")).status_code == 200
        home = await web.get("/")
        assert (await web.post("/logout", data={"csrf_token": csrf_of(home.text)})).status_code == 303
        response = await thief.get("/")
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert (await thief.get("/login")).status_code == 200  # the login form, not a redirect loop
    async with database.sessions() as session:
        rows = list(await session.scalars(select(StaffSession)))
    assert len(rows) == 1 and rows[0].login == "oper1" and rows[0].revoked_at is not None


async def test_the_cookie_holds_no_login(web: httpx.AsyncClient, database: Database) -> None:
    cookie = await logged_in_cookie(web, database)
    payload = base64.b64decode(cookie.split(".")[0] + "==")
    assert b"oper1" not in payload and b"staff_session" in payload


async def test_a_password_change_revokes_every_session(
    web: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    await logged_in_cookie(web, database)
    async with browser(app) as other:
        assert (await login(other, "oper1")).status_code == 303
        assert (await other.get("/")).status_code == 200
        assert await set_password(database.sessions, "oper1", "new-secret-pass")
        assert (await web.get("/")).status_code == 303
        assert (await other.get("/")).status_code == 303
        assert (await login(other, "oper1", "new-secret-pass")).status_code == 303
        assert (await other.get("/")).status_code == 200  # a new login opens a new session


async def test_deactivation_by_import_revokes_the_sessions(
    web: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    copied = await logged_in_cookie(web, database)
    report = await import_staff(database.sessions, STAFF_CSV.format(active="нет").encode())
    assert report.errors == [] and report.updated == 1
    await import_staff(database.sessions, STAFF_CSV.format(active="да").encode())  # back again
    async with browser(app, copied) as thief:
        assert (await thief.get("/")).status_code == 303  # reactivation does not revive the old session


async def test_a_session_records_when_it_was_last_seen_and_expires(
    web: httpx.AsyncClient, database: Database
) -> None:
    await logged_in_cookie(web, database)
    hour_ago = utcnow() - timedelta(hours=1)
    async with database.sessions() as session, session.begin():
        await session.execute(update(StaffSession).values(last_seen_at=hour_ago))
    assert (await web.get("/")).status_code == 200
    async with database.sessions() as session:
        row = await session.scalar(select(StaffSession))
    assert row is not None and aware(row.last_seen_at) > hour_ago + timedelta(minutes=59)
    async with database.sessions() as session, session.begin():  # a shift later
        await session.execute(update(StaffSession).values(created_at=utcnow() - timedelta(hours=12, seconds=1)))
    assert (await web.get("/")).status_code == 303
