"""Staff login: session cookie, scrypt password check, roles; every staff page depends on `current_staff`."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from router.models import Staff
from router.passwords import hash_password, verify_password
from workers.web.csrf import rotate_csrf, verify_csrf
from workers.web.deps import SessionDep
from workers.web.errors import LoginRequired, PageError
from workers.web.roles import can_see_quarantine
from workers.web.templating import render

log = logging.getLogger(__name__)

SESSION_LOGIN = "staff_login"
# Checked when the login is unknown, so a wrong login costs the same time as a wrong password.
_DUMMY_HASH = hash_password("not-a-password")

router = APIRouter()


def safe_next(path: str | None) -> str:
    """Only a local path: never an open redirect to another site."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


async def current_staff(request: Request, session: SessionDep) -> Staff:
    login = request.session.get(SESSION_LOGIN)
    next_path = request.url.path if request.method == "GET" else "/"
    if not isinstance(login, str):
        raise LoginRequired(next_path)
    staff = await session.scalar(select(Staff).where(Staff.login == login))
    if staff is None or not staff.active:
        request.session.clear()  # deactivated while logged in: the session ends now
        raise LoginRequired(next_path)
    request.state.staff = staff
    return staff


StaffDep = Annotated[Staff, Depends(current_staff)]


async def quarantine_staff(staff: StaffDep) -> Staff:
    if not can_see_quarantine(staff):
        raise PageError(403, "Карантин доступен администраторам и начальникам отделов.")
    return staff


@router.get("/login")
async def login_form(request: Request, next: str = "/") -> Response:
    if isinstance(request.session.get(SESSION_LOGIN), str):
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", dependencies=[Depends(verify_csrf)])
async def log_in(
    request: Request,
    session: SessionDep,
    login: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    login = login.strip()
    staff = await session.scalar(select(Staff).where(Staff.login == login)) if login else None
    valid = verify_password(password, staff.password_hash if staff else _DUMMY_HASH)
    if staff is None or not valid:
        log.info("staff login failed")
        return render(request, "login.html", {"next": safe_next(next), "error": "Неверный логин или пароль."},
                      status_code=401)
    if not staff.active:
        return render(request, "login.html",
                      {"next": safe_next(next), "error": "Учётная запись отключена. Обратитесь к администратору."},
                      status_code=403)
    request.session.clear()  # a fresh session on login: no fixation
    request.session[SESSION_LOGIN] = staff.login
    rotate_csrf(request)
    log.info("staff login ok: staff #%d", staff.id)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(verify_csrf)])
async def log_out(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
