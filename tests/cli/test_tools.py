"""`complaints schema` and `complaints normalize` on the recorded payloads under tests/data."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from channels.base import RawSubmission
from normalizer.event import ComplaintEvent
from router.contracts import OutboundMessage, TicketEvent
from router.contracts import TicketView as Ticket
from workers.cli import app

DATA = Path(__file__).parents[1] / "data"
MODELS = {"RawSubmission", "ComplaintEvent", "Ticket", "TicketEvent", "OutboundMessage"}


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def check_schema(name: str, schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == name and schema["type"] == "object"
    assert schema["additionalProperties"] is False  # contracts are extra="forbid"
    assert "schema_version" in schema["properties"]
    for ref in json.dumps(schema).split('"$ref": "')[1:]:  # every reference resolves inside the document
        target = ref.split('"')[0]
        assert target.startswith("#/$defs/") and target.removeprefix("#/$defs/") in schema["$defs"]


def test_schema_prints_every_contract() -> None:
    result = run("schema")

    assert result.exit_code == 0, result.output
    schemas = json.loads(result.stdout)
    assert set(schemas) == MODELS
    for name, schema in schemas.items():
        check_schema(name, schema)
    assert set(schemas["ComplaintEvent"]["required"]) >= {"event_id", "submission_id", "channel", "text"}
    assert schemas["ComplaintEvent"]["properties"]["identities"]["$ref"] == "#/$defs/Identities"
    assert schemas["Ticket"]["properties"]["number"]["pattern"] == r"^C-\d{4}-\d{6}$"
    assert "web" in schemas["RawSubmission"]["$defs"]["Channel"]["enum"]
    assert schemas["Ticket"] == {"$schema": schemas["Ticket"]["$schema"], **Ticket.model_json_schema()}
    assert schemas["OutboundMessage"]["properties"]["kind"]["$ref"] == "#/$defs/OutboundKind"
    assert TicketEvent.model_json_schema()["title"] == "TicketEvent" and OutboundMessage.__name__ in schemas


def test_schema_writes_one_file_per_model(tmp_path: Path) -> None:
    result = run("schema", "--output", str(tmp_path / "schemas"))

    assert result.exit_code == 0, result.output
    files = {p.name for p in (tmp_path / "schemas").iterdir()}
    assert files == {f"{name}.schema.json" for name in MODELS}
    for name in MODELS:
        check_schema(name, json.loads((tmp_path / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")))


def normalized(*args: str) -> ComplaintEvent:
    result = run("normalize", *args)
    assert result.exit_code == 0, result.output
    return ComplaintEvent.model_validate_json(result.stdout)


def test_normalize_web_payload(tmp_path: Path) -> None:
    path = tmp_path / "double_charge.json"
    shutil.copy(DATA / "web" / "double_charge.json", path)
    os.utime(path, (1741938087, 1741938087))  # 2025-03-14 07:41:27 UTC

    event = normalized("--channel", "web", str(path))

    assert event.channel == "web"
    assert event.native_id == "cli:double_charge.json"  # api client : idempotency key (the file name)
    assert event.received_at == datetime(2025, 3, 14, 7, 41, 27, tzinfo=UTC)
    assert event.category == "billing" and event.demands == ["recalculation"]
    assert event.identities.phones == ["+79161234567"]
    assert event.identities.emails == ["t.kuznetsova@mail.example"]
    assert event.identities.contract_numbers == ["12-345678"]
    assert event.identities.account_numbers == ["7700123456"]
    assert event.display_name == "Кузнецова Татьяна Ивановна"
    assert event.subject == "Двойное списание абонентской платы"


def test_normalize_whole_web_submission() -> None:
    path = DATA / "web" / "no_internet_submission.json"
    raw = RawSubmission.model_validate_json(path.read_text(encoding="utf-8"))

    event = normalized("--channel", "web", str(path))

    assert (event.submission_id, event.native_id, event.received_at) == (raw.submission_id, raw.native_id,
                                                                          raw.received_at)
    assert event.category == "connection" and event.demands == ["repair"]
    assert event.identities.phones == ["+79995551234"]
    assert event.identities.account_numbers == ["7700123458"]
    assert normalized(str(path)) == event  # a whole submission names its channel itself


def test_normalize_phone_payload_and_submission() -> None:
    rude = normalized("--channel", "phone", "--operator", "operator2", str(DATA / "phone" / "rude_operator.json"))
    assert rude.channel == "phone" and rude.category == "staff"
    assert rude.identities.phones == ["+79257001122"]
    assert rude.identities.contract_numbers == ["12-500302"]
    assert rude.operator_id == "operator2"
    assert rude.native_id == "rude_operator.json"

    slow = normalized("--channel", "phone", str(DATA / "phone" / "slow_speed_submission.json"))
    assert slow.category == "connection" and slow.demands == ["repair"]
    assert slow.identities.phones == ["+79852103344"]  # "8 985 210 33 44" in E.164
    assert slow.identities.contract_numbers == ["12-401122"]
    assert slow.operator_id == "operator1"
    assert slow.display_name == "Никитина Екатерина Олеговна"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--channel", "web", str(DATA / "web" / "no_identity.json")], "номер договора, лицевой счёт"),
        (["--channel", "phone", str(DATA / "phone" / "empty_text.json")], "phone form"),
        (["--channel", "phone", str(DATA / "web" / "no_internet_submission.json")], "channel mismatch"),
        ([str(DATA / "phone" / "rude_operator.json")], "--channel"),
        (["--channel", "email", str(DATA / "phone" / "rude_operator.json")], "no adapter for email"),
    ],
)
def test_normalize_bad_submission_exits_2(args: list[str], reason: str) -> None:
    result = run("normalize", *args)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "bad submission" in result.stderr and reason in result.stderr


def test_normalize_refuses_what_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{не json", encoding="utf-8")

    result = run("normalize", "--channel", "web", str(path))

    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr
