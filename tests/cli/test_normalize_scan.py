"""`complaints normalize --channel scan FILE`: the event a scanned letter becomes (OCR text, confidence,
fields, whether it needs a person) with the directory's candidates and the router's decision."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.support.scans import PAGE_ONE, PAGE_TWO, clean_png
from tests.web.factories import seed_review_client
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.cli import app

MISREAD = (PAGE_ONE.replace("Договор № 12-000001", "Договор № 12-000007"), PAGE_TWO.replace("12-000001", "12-000007"))


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("COMPLAINTS_DATA_DIR", str(data_dir))
    monkeypatch.delenv("DATABASE_URL", raising=False)

    async def seed() -> None:
        database = Database.from_settings(Settings(data_dir=data_dir))
        await database.migrate()

        def work(session: Session) -> None:
            seed_review_client(session, "12-000001", "Белова Анастасия Дмитриевна")
            seed_review_client(session, "12-000002", "Сидоров Пётр Петрович")
        await database.run_transaction(work)
        await database.close()
    asyncio.run(seed())
    return tmp_path


def normalized(path: Path) -> dict[str, object]:
    result = CliRunner().invoke(app, ["normalize", "--channel", "scan", str(path)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_a_clean_letter_is_read_and_its_sender_accepted(directory: Path) -> None:
    letter = directory / "letter.png"
    letter.write_bytes(clean_png())
    document = normalized(letter)
    event = document["event"]
    assert isinstance(event, dict) and event["channel"] == "post"
    scan = event["scan"]
    assert scan["fields"]["contract"] == "12-000001" and scan["fields"]["sender_name"] == "Белова Анастасия Дмитриевна"
    assert scan["mean_confidence"] > 70 and "перерасчёт" in event["text"]
    assert document["decision"]["accept"] is True and document["needs_verification"] is False  # type: ignore[index]


def test_a_misread_number_needs_verification_with_the_right_candidate_first(directory: Path) -> None:
    letter = directory / "misread.png"
    letter.write_bytes(clean_png(MISREAD))
    document = normalized(letter)
    assert document["needs_verification"] is True
    candidates = document["candidates"]
    assert isinstance(candidates, list) and candidates[0]["contract_number"] == "12-000001"


def test_a_file_that_is_no_scan_is_refused_with_its_reason(directory: Path) -> None:
    bad = directory / "empty.pdf"
    bad.write_bytes(b"")
    result = CliRunner().invoke(app, ["normalize", "--channel", "scan", str(bad)])
    assert result.exit_code != 0 and "пустой файл" in result.output
