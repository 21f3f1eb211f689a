"""The demo directory: loads cleanly, twice without changes, and shows what the process needs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from channels.phone import phone_filing_allowed
from router.assignment import SUBSCRIBER_DEPARTMENT, choose_assignee
from router.directory_import import ROLES
from router.models import Client, Staff
from router.passwords import verify_password
from workers.app.demo import DEMO_PASSWORD, load_demo
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")


async def test_demo_loads_once_and_a_second_load_changes_nothing(database: Database) -> None:
    first = await load_demo(database)

    assert first.ok and first.staff.errors == [] and first.clients.errors == []
    assert first.staff.warnings == [] and first.clients.warnings == []
    assert first.clients.imported == 12
    assert first.staff.imported >= len(ROLES)
    async with database.sessions() as session:
        hashes_before = {s.login: s.password_hash for s in await session.scalars(select(Staff))}

    second = await load_demo(database)

    assert second.ok and second.changed == 0
    assert second.clients.unchanged == 12 and second.staff.unchanged == first.staff.imported
    async with database.sessions() as session:
        assert {s.login: s.password_hash for s in await session.scalars(select(Staff))} == hashes_before
    assert "demo" in second.summary()


async def test_demo_directory_covers_the_process(database: Database) -> None:
    await load_demo(database)
    async with database.sessions() as session:
        people = {s.login: s for s in await session.scalars(select(Staff))}
        clients = list(await session.scalars(select(Client)))
        by_name = {c.name: c for c in clients}

        assert {p.role for p in people.values()} == set(ROLES)
        assert all(verify_password(DEMO_PASSWORD, p.password_hash) for p in people.values())
        assert "operator1" in people and people["operator1"].role == "operator"
        managers = [p for p in people.values() if p.role == "manager"]
        assert managers and all(p.department == SUBSCRIBER_DEPARTMENT for p in managers)
        heads = {p.department for p in people.values() if p.role == "department_head"}
        assert {"technical", "billing"} <= heads
        assert [p.department for p in people.values() if p.role == "subscriber_head"] == [SUBSCRIBER_DEPARTMENT]

        # Personal manager on leave: the ticket goes to the active deputy.
        nikitina = by_name["Никитина Екатерина Олеговна"]
        away = people[nikitina.manager_login or ""]
        assert not away.active and people[away.deputy_login or ""].active
        assignment = await choose_assignee(session, nikitina)
        assert assignment.assignee == away.deputy_login
        # No personal manager at all: the least-loaded manager of the subscriber department.
        without = [c for c in clients if c.manager_login is None]
        assert without
        assert (await choose_assignee(session, without[0])).assignee in {p.login for p in managers if p.active}

    assert {c.segment for c in clients} == {"individual", "business"}
    assert {c.building_type for c in clients} == {"apartment", "private", "office"}
    apartment = [c for c in clients if c.segment == "individual" and c.building_type == "apartment"]
    allowed = {phone_filing_allowed(c.segment, c.building_type, c.packages) for c in apartment}
    assert allowed == {True, False}  # with and without the «Комфорт» package
    kinds = {i.kind for c in clients for i in c.identities}
    assert kinds == {"contract", "account", "phone", "email", "vk", "ok", "telegram"}
    for client in clients:
        assert len(client.account_number or "") == 10 and (client.account_number or "").isdigit()
        assert all(i.value.startswith("+7") for i in client.identities if i.kind == "phone")
