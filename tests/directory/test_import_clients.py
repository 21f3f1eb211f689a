"""Client CSV import on a real, migrated database (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from normalizer.event import Identities
from router.directory import resolve_client
from router.directory_import import ClientRow, ImportReport, describe_validation_error, import_clients
from router.models import Client, ClientIdentity
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")

HEADER = (
    "contract_number;account_number;name;segment;building_type;packages;address;phones;emails;"
    "vk_id;ok_id;telegram_id;manager_login;preferred_channel"
)


SIDOROV = (
    "12-345679;7700123457;Сидоров П. А.;individual;apartment;Интернет 100;;+79037654321;;;;412345678;petrov;telegram"
)


def csv_bytes(*lines: str, bom: bool = False, encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


async def clients(database: Database) -> dict[str, Client]:
    async with database.sessions() as session:
        return {c.contract_number: c for c in await session.scalars(select(Client))}


async def identities_of(database: Database, contract: str) -> set[tuple[str, str]]:
    async with database.sessions() as session:
        rows = await session.execute(
            select(ClientIdentity.kind, ClientIdentity.value)
            .join(Client, Client.id == ClientIdentity.client_id)
            .where(Client.contract_number == contract)
        )
        return {(kind, value) for kind, value in rows}


async def resolve(database: Database, **ids: list[str]) -> str | None:
    async with database.sessions() as session:
        client = await resolve_client(session, Identities(**ids))
        return client.contract_number if client else None


async def test_good_rows_are_imported_with_every_identity(database: Database) -> None:
    data = csv_bytes(
        HEADER,
        "12-345678;7700123456;Кузнецова Татьяна Ивановна;физ;МКД;Интернет 100 | Комфорт;"
        "г. Москва, ул. Профсоюзная, д. 56, кв. 112;8 (916) 123-45-67|+7 495 123 45 67;T.Kuznetsova@Mail.Example;"
        "id187654321;user:571234567890;634567890;ivanova;Email",
        "12-500301;7700500301;ООО «Ромашка»;Юр. лицо;office;Бизнес 500;;+74959876543;;;;;;",
        bom=True,
    )
    report = await import_clients(database.sessions, data)

    assert report.errors == []
    assert (report.total, report.imported, report.updated, report.unchanged) == (2, 2, 0, 0)
    found = await clients(database)
    person = found["12-345678"]
    assert person.name == "Кузнецова Татьяна Ивановна"
    assert (person.segment, person.building_type) == ("individual", "apartment")
    assert person.packages == ["Интернет 100", "Комфорт"]
    assert person.address == "г. Москва, ул. Профсоюзная, д. 56, кв. 112"
    assert (person.manager_login, person.preferred_channel, person.account_number) == ("ivanova", "email", "7700123456")
    assert await identities_of(database, "12-345678") == {
        ("contract", "12-345678"),
        ("account", "7700123456"),
        ("phone", "+79161234567"),
        ("phone", "+74951234567"),
        ("email", "t.kuznetsova@mail.example"),
        ("vk", "187654321"),
        ("ok", "571234567890"),
        ("telegram", "634567890"),
    }
    business = found["12-500301"]
    assert (business.segment, business.building_type, business.preferred_channel) == ("business", "office", None)
    assert business.address is None and business.manager_login is None
    # The router finds them by what the normalizer extracts.
    assert await resolve(database, phones=["+79161234567"]) == "12-345678"
    assert await resolve(database, emails=["t.kuznetsova@mail.example"]) == "12-345678"
    assert await resolve(database, account_numbers=["7700500301"]) == "12-500301"
    # An unknown personal manager is not an error (staff may come later), but it is said.
    assert [line for line, _ in report.warnings] == [2]
    assert "ivanova" in report.warnings[0][1]


async def test_bad_rows_are_reported_by_line_and_the_good_rows_kept(database: Database) -> None:
    data = csv_bytes(
        "contract_number,name,segment,phones,emails,preferred_channel,building_type,vk_id",
        "12-000001,Иванов Иван Иванович,individual,+7 916 111-00-01,,,,",  # line 2: good
        "12-000002,Петров Пётр,individual,12345,,,,",  # 3: phone
        '12-000003,"Сидорова Анна,',  # 4-5: a quoted value spanning two lines, good
        'Петровна",individual,,,,,',
        "12-000004,Орлова Мария,пенсионер,,,,,",  # 6: segment
        "12-000005,,individual,,,,,",  # 7: name missing
        "12-000006,Смирнов Олег,individual,,smirnov@,,,",  # 8: e-mail
        "12-000007,Волков Илья,individual,,,пейджер,,",  # 9: channel
        "12-000008,Зайцева Ольга,individual,,,,дача,",  # 10: building type
        "12-000009,Фёдор Фёдоров,individual,,,,,vk.com/durov",  # 11: vk id
        "12-000010,Г. Москва, ул. Тверская,individual,,,,,",  # 12: unquoted comma
        "",  # 13: blank lines are skipped
        "12-000001,Иванов повторно,individual,,,,,",  # 14: duplicate contract
        "12-000011,Кузнецова Вера,business,+7 (903) 765-43-21,vera@mail.example,vk,private,id555",  # 15: good
    )
    report = await import_clients(database.sessions, data)

    errors = dict(report.errors)
    assert sorted(errors) == [3, 6, 7, 8, 9, 10, 11, 12, 14]
    assert "phones" in errors[3] and "12345" in errors[3] and "не распознан" in errors[3]
    assert "segment" in errors[6] and "пенсионер" in errors[6] and "unknown segment" in errors[6]
    assert errors[7] == "name: обязательное поле не заполнено / required value is missing"
    assert "emails" in errors[8] and "smirnov@" in errors[8] and "invalid e-mail" in errors[8]
    assert "preferred_channel" in errors[9] and "пейджер" in errors[9]
    assert "building_type" in errors[10] and "дача" in errors[10]
    assert "vk_id" in errors[11] and "должен быть числом" in errors[11]
    assert "больше, чем столбцов" in errors[12]
    assert "уже встречался в строке 2" in errors[14]
    assert (report.total, report.imported) == (12, 3)
    found = await clients(database)
    assert sorted(found) == ["12-000001", "12-000003", "12-000011"]
    assert found["12-000001"].name == "Иванов Иван Иванович"  # the first row wins
    assert found["12-000003"].name == "Сидорова Анна,\nПетровна"
    assert found["12-000011"].preferred_channel == "vk"
    assert ("vk", "555") in await identities_of(database, "12-000011")


async def test_reimport_updates_fields_and_replaces_identities(database: Database) -> None:
    first = csv_bytes(
        HEADER,
        "12-345678;7700123456;Кузнецова Т. И.;individual;apartment;Интернет 100;;+79161234567;t@mail.example;;;;"
        "ivanova;email",
        SIDOROV,
    )
    assert (await import_clients(database.sessions, first)).imported == 2
    async with database.sessions() as session:
        ids_before = {c.contract_number: c.id for c in await session.scalars(select(Client))}

    second = csv_bytes(
        HEADER,
        "12-345678;7700123456;Кузнецова Татьяна Ивановна;individual;apartment;Интернет 100|Комфорт;;"
        "+79161112233;;;;;kuznetsov;phone",
        SIDOROV,
    )
    report = await import_clients(database.sessions, second)

    assert report.errors == []
    assert (report.imported, report.updated, report.unchanged) == (0, 1, 1)
    found = await clients(database)
    assert {c.contract_number: c.id for c in found.values()} == ids_before  # updated in place, not re-created
    client = found["12-345678"]
    assert client.name == "Кузнецова Татьяна Ивановна"
    assert client.packages == ["Интернет 100", "Комфорт"]
    assert (client.manager_login, client.preferred_channel) == ("kuznetsov", "phone")
    assert await identities_of(database, "12-345678") == {
        ("contract", "12-345678"), ("account", "7700123456"), ("phone", "+79161112233"),
    }
    assert await resolve(database, phones=["+79161234567"]) is None
    assert await resolve(database, emails=["t@mail.example"]) is None
    assert await resolve(database, phones=["+79161112233"]) == "12-345678"

    again = await import_clients(database.sessions, second)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 2)


async def test_identity_of_another_client_is_a_row_error(database: Database) -> None:
    await import_clients(database.sessions, csv_bytes(
        "contract_number,name,segment,phones,account_number",
        "12-000001,Иванов Иван,individual,+79161110001,7700000001",
    ))

    report = await import_clients(database.sessions, csv_bytes(
        "contract_number,name,segment,phones,emails,account_number",
        "12-000002,Петров Пётр,individual,8 916 111-00-01,,",  # line 2: Иванов's phone
        "12-000003,Сидорова Анна,individual,,anna@mail.example,",  # 3: good
        "12-000004,Орлова Мария,individual,,ANNA@mail.example,",  # 4: e-mail of line 3
        "12-000005,Смирнов Олег,individual,,,7700000001",  # 5: Иванов's account number
    ))

    errors = dict(report.errors)
    assert sorted(errors) == [2, 4, 5]
    assert "+79161110001" in errors[2] and "договором 12-000001" in errors[2]
    assert "already belongs to the client with contract 12-000001" in errors[2]
    assert "anna@mail.example" in errors[4] and "строке 3" in errors[4]
    assert "7700000001" in errors[5] and "12-000001" in errors[5]
    assert sorted(await clients(database)) == ["12-000001", "12-000003"]
    assert await identities_of(database, "12-000001") == {
        ("contract", "12-000001"), ("phone", "+79161110001"), ("account", "7700000001"),
    }


async def test_identity_moves_when_its_owner_gives_it_up_in_the_same_file(database: Database) -> None:
    await import_clients(database.sessions, csv_bytes(
        "contract_number,account_number,name,segment,phones",
        "12-000001,7700000001,Иванов Иван,individual,+79161110001",
        "12-000002,7700000002,Петров Пётр,individual,+79161110002",
    ))

    # The phone moves from Иванов to a new client; the two account numbers swap.
    report = await import_clients(database.sessions, csv_bytes(
        "contract_number,account_number,name,segment,phones",
        "12-000003,,Иванова Анна,individual,+79161110001",
        "12-000001,7700000002,Иванов Иван,individual,",
        "12-000002,7700000001,Петров Пётр,individual,+79161110002",
    ))

    assert report.errors == []
    assert (report.imported, report.updated) == (1, 2)
    assert await resolve(database, phones=["+79161110001"]) == "12-000003"
    assert await resolve(database, account_numbers=["7700000001"]) == "12-000002"
    found = await clients(database)
    assert (found["12-000001"].account_number, found["12-000002"].account_number) == ("7700000002", "7700000001")


async def test_a_bad_header_stops_the_import(database: Database) -> None:
    report = await import_clients(database.sessions, csv_bytes(
        "contract,name,segment,phone",
        "12-000001,Иванов Иван,individual,+79161110001",
    ))

    assert [line for line, _ in report.errors] == [1, 1]
    assert "unknown columns: contract, phone" in report.errors[0][1]
    assert "missing required columns: contract_number" in report.errors[1][1]
    assert report.total == 0
    assert await clients(database) == {}

    empty = await import_clients(database.sessions, b"\xef\xbb\xbf\r\n")
    assert empty.errors == [(1, "файл пуст / the file is empty")]


async def test_excel_windows_1251_file_is_read(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_bytes(csv_bytes("contract_number;name;segment", "12-000001;Ёлкина Алёна;физ", encoding="cp1251"))

    report = await import_clients(database.sessions, path)

    assert report.errors == [] and report.imported == 1
    assert report.warnings == [(1, "файл прочитан в кодировке Windows-1251 / file decoded as Windows-1251")]
    assert (await clients(database))["12-000001"].name == "Ёлкина Алёна"


async def test_thousands_of_rows_with_progress(database: Database) -> None:
    lines = ["contract_number,account_number,name,segment,phones,emails"]
    lines += [
        f"77-{i:06d},{8800000000 + i},Клиент {i},individual,+7 916 {i // 10000:03d}-{i // 100 % 100:02d}-{i % 100:02d},"
        f"client{i}@mail.example"
        for i in range(3000)
    ]
    calls: list[tuple[str, int, int]] = []

    report = await import_clients(database.sessions, csv_bytes(*lines), progress=lambda *call: calls.append(call))

    assert report.errors == [] and report.imported == 3000
    assert calls[-1] == ("write", 3000, 3000)
    assert ("check", 3000, 3000) in calls
    assert len([c for c in calls if c[0] == "write"]) >= 2  # written in batches, reported as it goes
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ClientIdentity)) == 3000 * 4
    assert await resolve(database, emails=["client2999@mail.example"]) == "77-002999"


def test_report_is_a_plain_dataclass() -> None:
    report = ImportReport("clients", imported=2, updated=1, errors=[(5, "x"), (3, "y")]).finish()
    assert report.errors == [(3, "y"), (5, "x")]
    assert (report.ok, report.changed) == (False, 3)


async def test_a_conflict_the_check_missed_costs_only_its_row(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if another process wrote the phone between the check and the write: the batch falls back row by row."""
    await import_clients(database.sessions, csv_bytes(
        "contract_number,name,segment,phones", "12-000001,Иванов Иван,individual,+79161110001",
    ))

    async def nobody_owns_anything(session: object, rows: object) -> dict[tuple[str, str], str]:
        return {}

    monkeypatch.setattr("router.directory_import.clients._identity_owners", nobody_owns_anything)
    report = await import_clients(database.sessions, csv_bytes(
        "contract_number,name,segment,phones",
        "12-000002,Петров Пётр,individual,+79161110002",
        "12-000003,Сидорова Анна,individual,+79161110001",
        "12-000004,Орлова Мария,individual,+79161110004",
    ))

    assert [line for line, _ in report.errors] == [3]
    assert "database conflict" in report.errors[0][1]
    assert report.imported == 2
    assert sorted(await clients(database)) == ["12-000001", "12-000002", "12-000004"]
    assert await resolve(database, phones=["+79161110001"]) == "12-000001"


def test_row_model_cleans_numbers_and_explains_excel_damage() -> None:
    row = ClientRow.model_validate(
        {"contract_number": "№ 12-345678", "account_number": "7\xa0700 123 456", "name": "Ёлкина Алёна",
         "segment": "Физ. лицо", "building_type": "Частный дом", "ok_id": "https://ok.ru/profile/571234567890"}
    )
    assert (row.contract_number, row.account_number) == ("12-345678", "7700123456")
    assert (row.segment, row.building_type, row.ok_id) == ("individual", "private", "571234567890")

    with pytest.raises(ValidationError) as caught:
        ClientRow.model_validate({"contract_number": "12-1", "account_number": "7,70012E+09", "name": "x",
                                  "segment": "юр", "telegram_id": "@durov"})
    message = describe_validation_error(caught.value)
    assert message.startswith("account_number: номер «7,70012E+09» испорчен Excel")
    assert "; telegram_id: Telegram id должен быть числом" in message
