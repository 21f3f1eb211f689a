"""Login throttling: 5 failures lock a login and 20 lock an address for 15 minutes (the right password is
refused too, in Russian); every attempt is recorded; a successful login starts the login's count again."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select, update

from router.models import LoginAttempt
from router.timeutil import utcnow
from tests.web.conftest import login
from tests.web.factories import add_staff
from workers.app.runtime import Database
from workers.web.auth import ACCOUNT_FAILURES, ADDRESS_FAILURES

THROTTLED = "Слишком много неудачных попыток входа. Повторите через"


async def attempts(database: Database) -> list[LoginAttempt]:
    async with database.sessions() as session:
        return list(await session.scalars(select(LoginAttempt).order_by(LoginAttempt.id)))


async def test_six_wrong_passwords_lock_the_account(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "oper1")
    for _ in range(ACCOUNT_FAILURES):
        assert (await login(web, "oper1", "wrong")).status_code == 401
    locked = await login(web, "oper1", "wrong")
    assert locked.status_code == 429 and f"{THROTTLED} 15 мин." in locked.text
    right = await login(web, "oper1")  # the right password during the lockout is refused too
    assert right.status_code == 429 and THROTTLED in right.text
    assert (await web.get("/")).status_code == 303
    recorded = await attempts(database)
    assert len(recorded) == ACCOUNT_FAILURES + 2
    assert {(a.login, a.address, a.ok) for a in recorded} == {("oper1", "127.0.0.1", False)}


async def test_the_lock_ends_with_the_window(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "oper1")
    for _ in range(ACCOUNT_FAILURES):
        await login(web, "oper1", "wrong")
    async with database.sessions() as session, session.begin():  # 14 minutes later
        await session.execute(update(LoginAttempt).values(at=utcnow() - timedelta(minutes=14)))
    still = await login(web, "oper1")
    assert still.status_code == 429 and f"{THROTTLED} 1 мин." in still.text
    async with database.sessions() as session, session.begin():  # over 15 minutes later
        await session.execute(update(LoginAttempt).values(at=utcnow() - timedelta(minutes=16)))
    assert (await login(web, "oper1")).status_code == 303


async def test_a_successful_login_resets_the_account_count(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "oper1")
    for _ in range(ACCOUNT_FAILURES - 1):
        assert (await login(web, "oper1", "wrong")).status_code == 401
    assert (await login(web, "oper1")).status_code == 303
    web.cookies.clear()  # another browser at the same address
    for _ in range(ACCOUNT_FAILURES - 1):
        assert (await login(web, "oper1", "wrong")).status_code == 401
    assert (await login(web, "oper1")).status_code == 303
    assert [a.ok for a in await attempts(database)][-1] is True


async def test_an_address_is_locked_across_accounts(web: httpx.AsyncClient, database: Database) -> None:
    await add_staff(database, "oper1")
    for n in range(ADDRESS_FAILURES):  # one wrong try per login: no login reaches its own limit
        assert (await login(web, f"guess{n}", "wrong")).status_code == 401
    refused = await login(web, "oper1")
    assert refused.status_code == 429 and THROTTLED in refused.text
    assert (await web.get("/")).status_code == 303
