"""`complaints clients import` with hostile files (issue 12, finding 9): binary input is a clear error, a CSV
format error costs only its own row (reported with its line), a NUL byte is never stored, and what the CLI
says was saved is what the database holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from router.directory_import import import_clients
from router.models import Client
from tests.directory.test_cli import data_dir_env, invoke, stored
from workers.app.runtime import Database

__all__ = ["data_dir_env"]  # the fixture, shared with test_cli.py

HEADER = "contract_number;name;segment;phones"
SUMMARY = re.compile(r"строк (\d+), добавлено (\d+), обновлено (\d+), без изменений (\d+), с ошибками (\d+)")


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "clients.csv"
    path.write_bytes(data)
    return path


def summary(out: str) -> tuple[int, ...]:
    found = SUMMARY.search(out)
    assert found is not None, out
    return tuple(int(value) for value in found.groups())


def error_lines(out: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"│\s+(\d+) │ (.*?)\s*│$", out, re.MULTILINE)}


@pytest.mark.parametrize("data", [
    bytes(range(256)) * 40,  # random bytes: neither UTF-8 nor Windows-1251
    b"PK\x03\x04\x14\x00\x06\x00" + bytes(200),  # an .xlsx workbook
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "contract_number;name\n".encode("utf-16"),
])
def test_a_binary_file_is_a_clear_error(data_dir_env: dict[str, str | None], tmp_path: Path, data: bytes) -> None:
    result = invoke(data_dir_env, "clients", "import", str(write(tmp_path, data)))

    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    out = result.stdout
    assert "Traceback" not in out and "Error" not in out.replace("Ошибки", "")
    assert "не является текстовым CSV" in out and 1 in error_lines(out)
    assert "Файл не загружен" in out and "сохранены" not in out
    assert stored(data_dir_env, Client) == []


def test_an_unterminated_quote_costs_only_its_row(data_dir_env: dict[str, str | None], tmp_path: Path) -> None:
    text = "\n".join([
        HEADER,
        "12-000001;Иванов Иван;individual;+79160000001",
        '12-000002;"Петров Пётр;individual;+79160000002',  # line 3: the quote is never closed
        "12-000003;Сидорова Анна;individual;+79160000003",
        '12-000004;"ООО ""Ромашка""";business;+74950000004',  # quoted properly
        '12-000005;"Козлов" Игорь;individual;+79160000005',  # line 6: text after the closing quote
        "12-000006;Смирнов Олег;individual;+79160000006",
    ]) + "\n"

    result = invoke(data_dir_env, "clients", "import", str(write(tmp_path, text.encode())))

    out = result.stdout
    assert result.exit_code == 1
    kept = {c.contract_number: c.name for c in stored(data_dir_env, Client)}
    assert kept == {"12-000001": "Иванов Иван", "12-000003": "Сидорова Анна", "12-000004": 'ООО "Ромашка"',
                    "12-000006": "Смирнов Олег"}
    errors = error_lines(out)
    assert set(errors) == {3, 6} and all("CSV" in message for message in errors.values()), out
    # The summary is what was stored: six data rows, four added, two with errors.
    assert summary(out) == (6, 4, 0, 0, 2)
    assert "Верные строки сохранены (4)" in out


def test_a_row_with_a_nul_byte_is_rejected_with_its_line(data_dir_env: dict[str, str | None], tmp_path: Path) -> None:
    text = "\n".join([
        HEADER,
        "12-000001;Иванов Иван;individual;+79160000001",
        "12-000002;Петров\x00 Пётр;individual;+79160000002",
        "12-000003;Сидорова Анна;individual;+79160000003",
    ]) + "\n"

    result = invoke(data_dir_env, "clients", "import", str(write(tmp_path, text.encode())))

    out = result.stdout
    assert result.exit_code == 1
    assert set(error_lines(out)) == {3} and "NUL" in error_lines(out)[3]
    clients = stored(data_dir_env, Client)
    assert sorted(c.contract_number for c in clients) == ["12-000001", "12-000003"]
    assert not any("\x00" in (c.name or "") for c in clients)
    assert summary(out) == (3, 2, 0, 0, 1)


def test_nothing_stored_is_never_claimed(data_dir_env: dict[str, str | None], tmp_path: Path) -> None:
    text = HEADER + '\n12-000001;"Иванов Иван;individual;+79160000001\n12-000002;Петров\x00;individual;\n'

    result = invoke(data_dir_env, "clients", "import", str(write(tmp_path, text.encode())))

    assert result.exit_code == 1
    assert "сохранены" not in result.stdout and "Ничего не сохранено" in result.stdout
    assert stored(data_dir_env, Client) == []
    assert summary(result.stdout) == (2, 0, 0, 0, 2)


@pytest.mark.usefixtures("database_url")
async def test_the_report_of_a_quote_error_in_the_middle(database: Database) -> None:
    data = (HEADER + '\n12-000001;Иванов;individual;\n12-000002;"Петров;individual;\n'
            "12-000003;Сидоров;individual;\n").encode()

    report = await import_clients(database.sessions, data)

    assert [line for line, _ in report.errors] == [3]
    assert (report.total, report.imported) == (3, 2)
