"""Staff CSV import: roles, deputies, the inactive flag and password hashes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from router.directory_import import import_staff, set_password
from router.models import Staff
from router.passwords import verify_password
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")

HEADER = "login,name,role,department,deputy_login,active,email,password"


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


async def staff(database: Database) -> dict[str, Staff]:
    async with database.sessions() as session:
        return {s.login: s for s in await session.scalars(select(Staff))}


async def test_roles_deputies_activity_and_hashed_passwords(database: Database) -> None:
    report = await import_staff(database.sessions, csv_bytes(
        HEADER,
        # A deputy may be named before their own row.
        "ivanova,Иванова Мария Сергеевна,manager,subscriber,petrov,true,Ivanova@Telecom.Example,s3cret-1",
        "petrov,Петров Алексей Игоревич,Менеджер,Абонентский отдел,ivanova,да,,s3cret-2",
        "smirnova,Смирнова Ольга Павловна,manager,subscriber,petrov,нет,,s3cret-3",
        "orlova,Орлова Наталья,начальник абонентского отдела,subscriber,,1,,pw",
        "volkov,Волков Сергей,department_head,technical,,,,pw",
        "belov,Белов Андрей,генеральный директор,management,,0,,pw",
        "admin,Администратор,admin,it,,false,,pw",
        "operator1,Соколова Анна,оператор,call_center,,TRUE,,",
    ))

    assert report.errors == []
    assert (report.imported, report.updated, report.unchanged) == (8, 0, 0)
    people = await staff(database)
    assert {login: p.role for login, p in people.items()} == {
        "ivanova": "manager", "petrov": "manager", "smirnova": "manager", "orlova": "subscriber_head",
        "volkov": "department_head", "belov": "director", "admin": "admin", "operator1": "operator",
    }
    assert {login for login, p in people.items() if not p.active} == {"smirnova", "belov", "admin"}
    assert people["petrov"].department == "subscriber"  # "Абонентский отдел" is the subscriber department
    assert (people["smirnova"].deputy_login, people["ivanova"].deputy_login) == ("petrov", "petrov")
    assert people["ivanova"].email == "ivanova@telecom.example"
    assert people["ivanova"].password_hash is not None and "s3cret-1" not in people["ivanova"].password_hash
    assert verify_password("s3cret-1", people["ivanova"].password_hash)
    assert verify_password("s3cret-2", people["petrov"].password_hash)
    assert not verify_password("s3cret-1", people["petrov"].password_hash)
    assert people["operator1"].password_hash is None
    # Active staff without a password cannot sign in: said, not refused.
    assert [line for line, _ in report.warnings] == [9]
    assert "complaints staff passwd operator1" in report.warnings[0][1]


async def test_bad_staff_rows_are_reported_by_line(database: Database) -> None:
    report = await import_staff(database.sessions, csv_bytes(
        HEADER,
        "ivanova,Иванова Мария,manager,subscriber,,true,,pw",  # 2: good
        "petrov,Петров Алексей,boss,subscriber,,true,,pw",  # 3: role
        "smirnova,Смирнова Ольга,manager,subscriber,nobody,true,,pw",  # 4: unknown deputy
        "kuznetsov,Кузнецов Дмитрий,manager,subscriber,kuznetsov,true,,pw",  # 5: own deputy
        "orlova,Орлова Наталья,manager,subscriber,,может быть,,pw",  # 6: active
        "Иванов И.,Иванов Иван,operator,call_center,,true,,pw",  # 7: login
        "ivanova,Иванова-дубль,operator,call_center,,true,,pw",  # 8: duplicate login
        "volkov,Волков Сергей,department_head,,,true,,pw",  # 9: department missing
        "lebedev,Лебедев Игорь,manager,subscriber,petrov,true,,pw",  # 10: deputy whose row failed
    ))

    errors = dict(report.errors)
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "role" in errors[3] and "boss" in errors[3] and "subscriber_head" in errors[3]
    assert "nobody" in errors[4] and "deputy_login" in errors[4]
    assert "своим заместителем" in errors[5]
    assert "active" in errors[6] and "может быть" in errors[6]
    assert "login" in errors[7] and "Иванов И." in errors[7]
    assert "уже встречался в строке 2" in errors[8]
    assert errors[9] == "department: обязательное поле не заполнено / required value is missing"
    assert "petrov" in errors[10]
    assert sorted(await staff(database)) == ["ivanova"]


async def test_reimport_keeps_or_replaces_passwords(database: Database) -> None:
    first = csv_bytes(
        HEADER,
        "ivanova,Иванова Мария,manager,subscriber,,true,,old-password",
        "petrov,Петров Алексей,manager,subscriber,,true,,petrov-pw",
    )
    await import_staff(database.sessions, first)
    before = {login: p.password_hash for login, p in (await staff(database)).items()}

    same = await import_staff(database.sessions, first)
    assert (same.imported, same.updated, same.unchanged) == (0, 0, 2)
    assert {login: p.password_hash for login, p in (await staff(database)).items()} == before

    report = await import_staff(database.sessions, csv_bytes(
        HEADER,
        "ivanova,Иванова Мария,manager,subscriber,petrov,false,,",  # no password: keep the hash
        "petrov,Петров Алексей,manager,subscriber,,true,,new-password",
    ))
    assert (report.imported, report.updated, report.unchanged) == (0, 2, 0)
    people = await staff(database)
    assert people["ivanova"].password_hash == before["ivanova"]
    assert (people["ivanova"].active, people["ivanova"].deputy_login) == (False, "petrov")
    assert verify_password("new-password", people["petrov"].password_hash)
    assert not verify_password("petrov-pw", people["petrov"].password_hash)


async def test_set_password(database: Database) -> None:
    await import_staff(database.sessions, csv_bytes(HEADER, "ivanova,Иванова Мария,manager,subscriber,,true,,"))

    assert await set_password(database.sessions, "ivanova", "Пароль-2026")
    assert not await set_password(database.sessions, "nobody", "x")
    assert verify_password("Пароль-2026", (await staff(database))["ivanova"].password_hash)
