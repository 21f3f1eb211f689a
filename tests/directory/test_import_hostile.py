"""`complaints clients import` with hostile files (issue 12, finding 9): binary input is a clear error, a CSV
format error costs only its own row (reported with its line), a NUL byte is never stored, and what the CLI
says was saved is what the database holds."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from router.directory_import import ImportReport, import_clients
from router.directory_import.csv_reading import read_csv
from router.models import Client
from tests.directory.test_cli import data_dir_env, invoke, stored
from workers.app.runtime import Database
from workers.cli.directory import SHOWN_PROBLEMS, write_problems

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


def test_a_million_malformed_records_cost_only_their_rows(
    data_dir_env: dict[str, str | None], tmp_path: Path
) -> None:
    """Each malformed record resumes the reading on the next line: a file of a million of them is read once (the
    resume used to step over every line before it again: hours), and the terminal gets a page of the errors
    while --errors-file gets every one."""
    broken = 1_000_000
    text = (HEADER + "\n12-000001;Иванов Иван;individual;\n" + '12-000002;"Петров" Пётр;individual;\n' * broken
            + "12-000003;Сидорова Анна;individual;\n")
    errors_file = tmp_path / "errors.csv"

    result = invoke(data_dir_env, "clients", "import", str(write(tmp_path, text.encode())),
                    "--errors-file", str(errors_file))

    out = result.stdout
    assert result.exit_code == 1, out[-2000:]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert sorted(c.contract_number for c in stored(data_dir_env, Client)) == ["12-000001", "12-000003"]
    assert summary(out) == (broken + 2, 2, 0, 0, broken)
    assert sorted(error_lines(out)) == list(range(3, 3 + SHOWN_PROBLEMS)), "the first errors, one row each"
    assert f"Показаны первые {SHOWN_PROBLEMS} из {broken}; полный список записан в {errors_file}" in out
    assert "Верные строки сохранены (2)" in out
    with errors_file.open(encoding="utf-8-sig", newline="") as listed:
        rows = list(csv.reader(listed, delimiter=";"))
    assert rows[0] == ["строка", "вид", "причина"]
    assert [int(line) for line, _, _ in rows[1:]] == list(range(3, 3 + broken))
    assert {kind for _, kind, _ in rows[1:]} == {"ошибка"} and "CSV" in rows[1][2]


def test_without_errors_file_the_cli_says_how_to_get_the_full_list(
    data_dir_env: dict[str, str | None], tmp_path: Path
) -> None:
    text = HEADER + "\n" + '12-000002;"Петров" Пётр;individual;\n' * (SHOWN_PROBLEMS + 1)

    result = invoke(data_dir_env, "clients", "import", str(write(tmp_path, text.encode())))

    assert result.exit_code == 1
    assert len(error_lines(result.stdout)) == SHOWN_PROBLEMS
    assert f"Показаны первые {SHOWN_PROBLEMS} из {SHOWN_PROBLEMS + 1}; полный список: повторите загрузку с " \
           "--errors-file ФАЙЛ." in result.stdout


def test_an_errors_file_that_cannot_be_written_is_said_and_the_import_stands(
    data_dir_env: dict[str, str | None], tmp_path: Path
) -> None:
    text = HEADER + "\n12-000001;Иванов Иван;individual;\n12-000002;Петров\x00;individual;\n"
    nowhere = tmp_path / "no-such-dir" / "errors.csv"

    result = invoke(data_dir_env, "clients", "import", str(write(tmp_path, text.encode())),
                    "--errors-file", str(nowhere))

    assert result.exit_code == 1 and "Traceback" not in result.stdout
    assert f"Файл ошибок {nowhere} не записан" in result.stdout
    assert set(error_lines(result.stdout)) == {3}
    assert [c.contract_number for c in stored(data_dir_env, Client)] == ["12-000001"]


def test_a_header_of_many_unknown_and_repeated_columns_is_refused_with_a_short_message() -> None:
    """The header is checked in one pass (a count per column took hours for 300,000 columns) and the message names
    the first columns and how many more there are, not all of them."""
    columns = 300_000
    header = "contract_number;name;" + ";".join(f"x{i % (columns // 2)}" for i in range(columns))
    report = ImportReport("clients")

    rows = read_csv((header + "\n12-000001;Иванов\n").encode(), ["contract_number", "name"], ["contract_number"],
                    report)

    assert rows is None
    messages = dict.fromkeys(message for _, message in report.errors)
    assert [line for line, _ in report.errors] == [1, 1]
    repeated, unknown = messages
    assert repeated.startswith("столбцы повторяются / duplicate columns: x0, x1, x10, x100, ")
    assert repeated.endswith(f"… и ещё {columns // 2 - 20} / and {columns // 2 - 20} more")
    assert unknown.startswith("неизвестные столбцы / unknown columns: x0, x1, x2, ")
    assert f"… и ещё {columns - 20} / and {columns - 20} more; допустимые / known: contract_number, name" in unknown
    assert len(repeated) < 1000 and len(unknown) < 1000


def test_the_repr_of_a_report_counts_its_errors_instead_of_listing_them() -> None:
    """asyncio.run on Python 3.11 formats the repr of its task's result when it restores the SIGINT handler: the
    generated repr of a report with a million errors took 800 MB there."""
    report = ImportReport("clients", total=1_000_000)
    report.errors.extend((line, "ошибка формата CSV") for line in range(2, 1_000_002))

    shown = repr(report)

    assert shown == ("ImportReport(kind='clients', total=1000000, imported=0, updated=0, unchanged=0, "
                     "errors=1000000, warnings=0)")


def test_the_errors_file_never_starts_a_cell_with_a_formula(tmp_path: Path) -> None:
    report = ImportReport("clients")
    report.error(2, '=HYPERLINK("http://127.0.0.1/x","клик")')
    report.error(3, "@SUM(1)")
    report.warn(4, "ошибка в «=1+1»")
    path = tmp_path / "errors.csv"

    write_problems(path, report)

    with path.open(encoding="utf-8-sig", newline="") as listed:
        rows = list(csv.reader(listed, delimiter=";"))
    assert rows[1:] == [["2", "ошибка", '\'=HYPERLINK("http://127.0.0.1/x","клик")'], ["3", "ошибка", "'@SUM(1)"],
                        ["4", "предупреждение", "ошибка в «=1+1»"]]
