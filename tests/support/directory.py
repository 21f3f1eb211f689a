"""A small client and staff directory written straight into the store, for routing tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from router.models import Client, ClientIdentity, Staff
from router.passwords import hash_password
from workers.app.runtime import Database


@dataclass(frozen=True)
class Person:
    contract: str
    phone: str
    email: str


IVANOV = Person("12-000001", "+79161110001", "ivanov@example.ru")  # manager m.petrova, active
SIDOROVA = Person("12-000002", "+79161110002", "sidorova@example.ru")  # manager inactive -> deputy
KUZNETSOV = Person("12-000003", "+79161110003", "kuznetsov@example.ru")  # manager and deputy inactive
ORLOVA = Person("12-000004", "+79161110004", "orlova@example.ru")  # apartment, no Комфорт package
SMIRNOV = Person("12-000005", "+79161110005", "smirnov@example.ru")  # apartment with Комфорт


def staff(login: str, role: str, department: str = "subscriber", deputy: str | None = None,
          active: bool = True) -> Staff:
    return Staff(login=login, name=login.replace(".", " ").title(), role=role, department=department,
                 deputy_login=deputy, active=active, password_hash=hash_password("secret"))


def client(person: Person, name: str, manager: str | None, building: str = "private",
           packages: list[str] | None = None, segment: str = "individual") -> Client:
    c = Client(contract_number=person.contract, name=name, segment=segment, building_type=building,
               packages=packages or [], manager_login=manager)
    c.identities = [
        ClientIdentity(kind="contract", value=person.contract),
        ClientIdentity(kind="phone", value=person.phone),
        ClientIdentity(kind="email", value=person.email),
    ]
    return c


async def seed_directory(session: AsyncSession) -> None:
    session.add_all([
        staff("m.petrova", "manager", deputy="m.volkov"),
        staff("m.volkov", "manager"),
        staff("m.gone", "manager", deputy="m.volkov", active=False),
        staff("m.away", "manager", deputy="m.gone", active=False),
        staff("m.idle", "manager"),
        staff("op.anna", "operator", department="call_centre"),
        staff("h.subscriber", "subscriber_head"),
        client(IVANOV, "Иванов Иван Иванович", "m.petrova"),
        client(SIDOROVA, "Сидорова Анна Петровна", "m.gone"),
        client(KUZNETSOV, "Кузнецов Пётр Сергеевич", "m.away"),
        client(ORLOVA, "Орлова Мария Олеговна", "m.petrova", building="apartment", packages=["Базовый"]),
        client(SMIRNOV, "Смирнов Олег Ильич", "m.volkov", building="apartment", packages=["Комфорт"]),
    ])


async def seed_store(database: Database) -> Database:
    """`database` with this directory committed in it (the `seeded` fixtures)."""
    async with database.sessions() as session, session.begin():
        await seed_directory(session)
    return database
