"""Properties of the directory import's CSV reader and cell parsers (router/directory_import): any bytes are rows
or reported errors, never an exception; a table written by the csv module reads back the same; cells raise only
ValueError."""

from __future__ import annotations

import csv
import io

from hypothesis import assume, given
from hypothesis import strategies as st

from router.directory_import.cells import check_login, email_address, flag, numeric_id
from router.directory_import.csv_reading import read_csv, split_multi
from router.directory_import.report import ImportReport
from tests.property.strategies import hostile_text

COLUMNS = ("contract_number", "name", "phones", "emails")
cells = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00\r\n"), max_size=20)


@given(st.binary(max_size=2000))
def test_any_bytes_are_rows_or_errors(data: bytes) -> None:
    report = ImportReport("clients")
    rows = read_csv(data, COLUMNS, ("contract_number",), report)
    if rows is None:
        assert report.errors
    else:
        for row in rows:
            assert row.line >= 2 and set(row.values) <= set(COLUMNS)


@given(st.lists(st.tuples(cells, cells, cells, cells), min_size=1, max_size=8), st.sampled_from([",", ";"]),
       st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]), st.sampled_from(["\n", "\r\n"]))
def test_written_table_reads_back(rows: list[tuple[str, str, str, str]], delimiter: str, encoding: str,
                                  newline: str) -> None:
    assume(any(c.strip() for row in rows for c in row))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=csv.QUOTE_ALL)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    try:
        data = out.getvalue().encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    report = ImportReport("clients")
    read = read_csv(data, COLUMNS, ("contract_number",), report)
    if read is None:
        assert report.errors  # e.g. a cp1251 text full of control characters: refused as a whole, with the reason
        return
    expected = [row for row in rows if any(c.strip() for c in row)]
    assert [tuple(r.values[c] or "" for c in COLUMNS) for r in read] == [tuple(c.strip() for c in row)
                                                                          for row in expected]


@given(st.lists(st.text(alphabet="abc |", max_size=6), max_size=5))
def test_split_multi_is_distinct_and_stripped(values: list[str]) -> None:
    found = split_multi("|".join(values))
    assert len(found) == len(set(found)) and all(v and v == v.strip() and "|" not in v for v in found)
    assert split_multi("|".join(found)) == found


@given(st.one_of(hostile_text, st.integers(), st.none(), st.booleans()))
def test_cells_raise_only_value_error(value: object) -> None:
    for parse in (lambda v: check_login(v, "login"), lambda v: email_address(str(v)), flag,
                  lambda v: numeric_id(None if v is None else str(v), "VK id", ("https://vk.com/id", "id"), "1")):
        try:
            parse(value)
        except ValueError:
            pass


@given(st.from_regex(r"\A[0-9]{1,12}\Z"), st.sampled_from(["", "id", "https://vk.com/id", "  "]))
def test_numeric_id_round_trips(digits: str, prefix: str) -> None:
    found = numeric_id(f"{prefix}{digits}", "VK id", ("https://vk.com/id", "id"), "1")
    assert found == (digits.lstrip("0") or "0")
    assert numeric_id(found, "VK id", ("https://vk.com/id", "id"), "1") == found


@given(st.sampled_from(["true", "1", "yes", "да", "Д", "+", "false", "0", "no", "нет", "-", " Нет "]))
def test_flag_is_idempotent(value: str) -> None:
    assert flag(flag(value)) == flag(value)
