"""`complaints normalize --channel email FILE.eml` prints the event of every corpus mail (or the reason, exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from normalizer.event import ComplaintEvent
from workers.cli import app

CORPUS = Path(__file__).parents[1] / "data" / "email"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def corpus_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caps and fax gateway the corpus assumes, given the way an operator would: environment settings."""
    monkeypatch.setenv("COMPLAINTS_EMAIL_LIMITS", json.dumps(
        {"max_message_bytes": 1_000_000, "max_header_bytes": 16_384, "max_part_bytes": 100_000, "max_parts": 25}))
    monkeypatch.setenv("COMPLAINTS_FAX_GATEWAY_SENDERS", '["fax@fax.example.ru"]')


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_corpus_mail(name: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["normalize", "--channel", "email", str(CORPUS / name)])

    expected = EXPECTED[name]
    if "error" in expected:
        assert result.exit_code == 2
        assert expected["error"] in result.stderr and "Ошибка" in result.stderr
        return
    assert result.exit_code == 0, result.output
    event = ComplaintEvent.model_validate_json(result.stdout)
    assert event.channel == "email" and event.native_id.startswith("file:")
    assert event.auto_generated is expected.get("auto_generated", False)
    assert event.identities.emails == expected.get("emails", event.identities.emails)


def test_a_mail_without_the_eml_suffix_needs_the_channel(tmp_path: Path) -> None:
    mail = tmp_path / "message.txt"
    mail.write_bytes((CORPUS / "koi8r_declared.eml").read_bytes())

    with_channel = CliRunner().invoke(app, ["normalize", "--channel", "email", str(mail)])
    without = CliRunner().invoke(app, ["normalize", str(mail)])

    assert with_channel.exit_code == 0 and ComplaintEvent.model_validate_json(with_channel.stdout).subject == (
        "Нет интернета")
    assert without.exit_code == 2 and "JSON" in without.stderr


def test_an_eml_file_is_not_another_channel() -> None:
    result = CliRunner().invoke(app, ["normalize", "--channel", "web", str(CORPUS / "koi8r_declared.eml")])
    assert result.exit_code == 2 and "email" in result.stderr
