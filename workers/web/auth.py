"""Staff login: server-side sessions (the signed cookie holds only the session id), scrypt password check,
login throttling, roles; every staff page depends on `current_staff`."""

from __future__ import annotations

import logging
import math
import secrets
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.models import LoginAttempt, Staff, StaffSession
from router.passwords import hash_password, verify_password
from router.timeutil import aware, utcnow
from workers.web.csrf import rotate_csrf, verify_csrf
from workers.web.deps import SessionDep
from workers.web.errors import LoginRequired, PageError
from workers.web.roles import can_see_quarantine
from workers.web.templating import render

log = logging.getLogger(__name__)

SESSION_ID = "staff_session"  # the key of the StaffSession id in the signed cookie
SESSION_MAX_AGE = 12 * 3600  # one working shift (the cookie's and the server-side session's)
LAST_SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per session

# Login throttling: failed attempts in the last THROTTLE_WINDOW, per login (only those after its last
# successful login) and per address. Attempts refused by the lock are recorded as failures too.
THROTTLE_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
THROTTLED_RU = "Слишком много неудачных попыток входа. Повторите через {minutes} мин."
# Checked when the login is unknown, so a wrong login costs the same time as a wrong password.
_DUMMY_HASH = hash_password("not-a-password")

router = APIRouter()


def safe_next(path: str | None) -> str:
    """Only a local path: never an open redirect to another site."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


async def _session_staff(request: Request, session: AsyncSession) -> Staff | None:
    """The staff member of the request's server-side session: not revoked, not expired, still active."""
    session_id = request.session.get(SESSION_ID)
    if not isinstance(session_id, str):
        return None
    row = await session.get(StaffSession, session_id)
    now = utcnow()
    if row is None or row.revoked_at is not None or aware(row.created_at) + timedelta(seconds=SESSION_MAX_AGE) <= now:
        return None
    staff = await session.scalar(select(Staff).where(Staff.login == row.login))
    if staff is None or not staff.active:
        return None
    if now - aware(row.last_seen_at) >= LAST_SEEN_EVERY:
        # Committed now (a GET page may never commit); the sessions do not expire what they loaded on commit.
        row.last_seen_at = now
        await session.commit()
    return staff


async def current_staff(request: Request, session: SessionDep) -> Staff:
    next_path = request.url.path if request.method == "GET" else "/"
    staff = await _session_staff(request, session)
    if staff is None:
        request.session.clear()  # logged out, revoked or deactivated: the session ends now
        raise LoginRequired(next_path)
    request.state.staff = staff
    return staff


async def _recent_failures(
    session: AsyncSession, limit: int, since: datetime, *where: ColumnElement[bool]
) -> list[datetime]:
    """The `limit` latest failed attempts matching `where` after `since`, latest first."""
    query = (select(LoginAttempt.at).where(*where, LoginAttempt.ok.is_(False), LoginAttempt.at > since)
             .order_by(LoginAttempt.at.desc()).limit(limit))
    return [aware(at) for at in await session.scalars(query)]


async def login_lockout(session: AsyncSession, login: str, address: str, now: datetime) -> timedelta | None:
    """How long `login` from `address` must still wait, or None if it may try now."""
    since = now - THROTTLE_WINDOW
    last_ok = await session.scalar(select(func.max(LoginAttempt.at))
                                   .where(LoginAttempt.login == login, LoginAttempt.ok.is_(True)))
    account_since = max(since, aware(last_ok)) if last_ok is not None else since
    waits = []
    for failures, limit in (
        (await _recent_failures(session, ACCOUNT_FAILURES, account_since, LoginAttempt.login == login),
         ACCOUNT_FAILURES),
        (await _recent_failures(session, ADDRESS_FAILURES, since, LoginAttempt.address == address),
         ADDRESS_FAILURES),
    ):
        if len(failures) >= limit:  # locked until the oldest of the last `limit` failures leaves the window
            waits.append(failures[-1] + THROTTLE_WINDOW - now)
    return max(waits) if waits else None


StaffDep = Annotated[Staff, Depends(current_staff)]


async def quarantine_staff(staff: StaffDep) -> Staff:
    if not can_see_quarantine(staff):
        raise PageError(403, "Карантин доступен администраторам и начальникам отделов.")
    return staff


@router.get("/login")
async def login_form(request: Request, session: SessionDep, next: str = "/") -> Response:
    if await _session_staff(request, session) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error": None})


def _refuse(request: Request, next: str, error: str, status_code: int) -> Response:
    return render(request, "login.html", {"next": safe_next(next), "error": error}, status_code=status_code)


@router.post("/login", dependencies=[Depends(verify_csrf)])
async def log_in(
    request: Request,
    session: SessionDep,
    login: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    login = login.strip()
    address = (request.client.host if request.client else "")[:64]
    now = utcnow()
    wait = await login_lockout(session, login, address, now)
    if wait is not None:
        session.add(LoginAttempt(at=now, login=login, address=address, ok=False))
        await session.commit()
        log.warning("staff login throttled")
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        return _refuse(request, next, THROTTLED_RU.format(minutes=minutes), 429)
    staff = await session.scalar(select(Staff).where(Staff.login == login)) if login else None
    valid = verify_password(password, staff.password_hash if staff else _DUMMY_HASH)
    ok = staff is not None and valid and staff.active
    session.add(LoginAttempt(at=now, login=login, address=address, ok=ok))
    if staff is None or not valid:
        await session.commit()
        log.info("staff login failed")
        return _refuse(request, next, "Неверный логин или пароль.", 401)
    if not staff.active:
        await session.commit()
        return _refuse(request, next, "Учётная запись отключена. Обратитесь к администратору.", 403)
    staff_id, session_id = staff.id, secrets.token_urlsafe(32)
    session.add(StaffSession(id=session_id, login=staff.login, created_at=now, last_seen_at=now))
    await session.commit()
    request.session.clear()  # a fresh session on login: no fixation
    request.session[SESSION_ID] = session_id
    rotate_csrf(request)
    log.info("staff login ok: staff #%d", staff_id)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(verify_csrf)])
async def log_out(request: Request, session: SessionDep) -> Response:
    session_id = request.session.get(SESSION_ID)
    if isinstance(session_id, str):
        await session.execute(update(StaffSession)
                              .where(StaffSession.id == session_id, StaffSession.revoked_at.is_(None))
                              .values(revoked_at=utcnow()))
        await session.commit()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
