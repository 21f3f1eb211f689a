"""`complaints clients …` and `complaints staff …` through the real typer app and a real SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from router.models import Client, Staff
from router.passwords import verify_password
from workers.app.demo import DEMO_CLIENTS, DEMO_STAFF
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.cli import app


@pytest.fixture
def data_dir_env(tmp_path: Path) -> dict[str, str | None]:
    # COLUMNS: rich wraps at the terminal width; keep each message on one line for the assertions.
    return {"COMPLAINTS_DATA_DIR": str(tmp_path / "var"), "DATABASE_URL": None, "NATS_URL": None, "COLUMNS": "250"}


def invoke(env: dict[str, str | None], *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env, input=input)


def stored(env: dict[str, str | None], model: type[Any]) -> list[Any]:
    async def load() -> list[Any]:
        database = Database.from_settings(Settings(data_dir=Path(env["COMPLAINTS_DATA_DIR"] or "")))
        try:
            async with database.sessions() as session:
                return list(await session.scalars(select(model)))
        finally:
            await database.close()

    return asyncio.run(load())


def test_clients_import_good_file_exits_0(data_dir_env: dict[str, str | None]) -> None:
    result = invoke(data_dir_env, "clients", "import", str(DEMO_CLIENTS))

    assert result.exit_code == 0, result.output
    assert "строк 12, добавлено 12, обновлено 0, без изменений 0, с ошибками 0" in result.stdout
    assert {c.contract_number for c in stored(data_dir_env, Client)} >= {"12-345678", "12-500301"}

    again = invoke(data_dir_env, "clients", "import", str(DEMO_CLIENTS))
    assert again.exit_code == 0
    assert "добавлено 0, обновлено 0, без изменений 12" in again.stdout


def test_clients_import_with_bad_rows_exits_1_and_lists_them(
    data_dir_env: dict[str, str | None], tmp_path: Path
) -> None:
    path = tmp_path / "clients.csv"
    path.write_text(
        "contract_number;name;segment;phones\n"
        "12-000001;Иванов Иван;физ;+7 916 111-00-01\n"
        "12-000002;Петров Пётр;физ;not-a-phone\n"
        "12-000003;Сидорова Анна;робот;\n",
        encoding="utf-8-sig",
    )

    result = invoke(data_dir_env, "clients", "import", str(path))

    assert result.exit_code == 1
    out = result.stdout
    assert "добавлено 1" in out and "с ошибками 2" in out
    assert "Ошибки: строки пропущены" in out
    lines = out.splitlines()
    assert any("│      3 │" in line and "not-a-phone" in line for line in lines), out
    assert any("│      4 │" in line and "робот" in line for line in lines), out
    assert "Верные строки сохранены" in out
    assert [c.contract_number for c in stored(data_dir_env, Client)] == ["12-000001"]


def test_clients_import_of_a_missing_file_is_a_usage_error(data_dir_env: dict[str, str | None]) -> None:
    result = invoke(data_dir_env, "clients", "import", "/nonexistent/clients.csv")
    assert result.exit_code == 2


def test_clients_show(data_dir_env: dict[str, str | None]) -> None:
    assert invoke(data_dir_env, "staff", "import", str(DEMO_STAFF)).exit_code == 0
    assert invoke(data_dir_env, "clients", "import", str(DEMO_CLIENTS)).exit_code == 0

    result = invoke(data_dir_env, "clients", "show", "8 (985) 210-33-44")
    assert result.exit_code == 0, result.output
    assert "Никитина Екатерина Олеговна — договор 12-401122" in result.stdout
    assert "неактивен → заместитель Кузнецов Дмитрий Андреевич (kuznetsov)" in result.stdout

    refused = invoke(data_dir_env, "clients", "show", "12-345679")
    assert "Сидоров Павел Андреевич" in refused.stdout
    assert "нельзя (нет пакета «Комфорт»)" in refused.stdout

    missing = invoke(data_dir_env, "clients", "show", "Несуществующий")
    assert missing.exit_code == 1
    assert "не найден" in missing.stdout


def test_staff_import_and_passwd(data_dir_env: dict[str, str | None], tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text(
        "login,name,role,department,active\n"
        "ivanova,Иванова Мария,manager,subscriber,да\n"
        "petrov,Петров Алексей,заведующий,subscriber,да\n",
        encoding="utf-8",
    )

    result = invoke(data_dir_env, "staff", "import", str(path))
    assert result.exit_code == 1
    assert "добавлено 1" in result.stdout and "заведующий" in result.stdout
    assert "Предупреждения" in result.stdout  # ivanova has no password yet

    changed = invoke(data_dir_env, "staff", "passwd", "ivanova", input="Новый-пароль\nНовый-пароль\n")
    assert changed.exit_code == 0, changed.output
    [ivanova] = stored(data_dir_env, Staff)
    assert verify_password("Новый-пароль", ivanova.password_hash)

    unknown = invoke(data_dir_env, "staff", "passwd", "nobody", input="x\nx\n")
    assert unknown.exit_code == 1
    assert "не найден" in unknown.stderr

    listing = invoke(data_dir_env, "staff", "list")
    assert listing.exit_code == 0 and "ivanova" in listing.stdout and "задан" in listing.stdout
