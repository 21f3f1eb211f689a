"""`complaints docs`: docs/asyncapi.json and docs/openapi.json are generated from the code and kept fresh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from faststream.nats.schemas.js_stream import is_subject_match_wildcard
from pydantic import BaseModel
from typer.testing import CliRunner

from channels.base import RawSubmission
from normalizer.event import ComplaintEvent
from router.contracts import FetchRequest, OutboundMessage, StaffNotice, TicketEvent
from router.identity_claims import CODE_SUBJECT, IdentityCodeMail
from workers.app.runtime import Database, Runtime, make_broker
from workers.app.worker_set import CONSUMERS, stage_registrars
from workers.bus.shunt import ShuntEnvelope
from workers.bus.streams import declare_streams
from workers.cli import app
from workers.cli import docs as docs_module

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"
FILES = ("asyncapi.json", "openapi.json")
STALE = "{path} is stale: run `complaints docs` (or `uv run --frozen complaints docs`) and commit the result"

# Each stream's subject and the contract of its messages.
CONTRACTS: dict[str, tuple[str, type[BaseModel]]] = {
    "INTAKE": ("intake.raw.*", RawSubmission),
    "COMPLAINTS": ("complaints.normalized", ComplaintEvent),
    "OUTBOUND": ("outbound.*", OutboundMessage),
    "TICKETS": ("tickets.events.*", TicketEvent),
    "ATTACHMENTS": ("attachments.fetch", FetchRequest),
    "NOTICES": ("notices.staff", StaffNotice),
    "SHUNT": ("shunt.*", ShuntEnvelope),
}
SCHEMAS = "#/components/schemas/"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documents as `complaints docs --output DIR` writes them now."""
    output = tmp_path_factory.mktemp("docs")
    result = CliRunner().invoke(app, ["docs", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert sorted(Path(line).name for line in result.stdout.split()) == sorted(FILES)
    return output


@pytest.fixture(scope="module")
def asyncapi(generated: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((generated / "asyncapi.json").read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def openapi(generated: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((generated / "openapi.json").read_text(encoding="utf-8"))
    return document


@pytest.mark.parametrize("name", FILES)
def test_the_committed_documents_are_fresh(generated: Path, name: str) -> None:
    committed = DOCS / name
    if not committed.exists() or committed.read_bytes() != (generated / name).read_bytes():
        pytest.fail(STALE.format(path=f"docs/{name}"), pytrace=False)


def test_a_second_run_writes_the_same_bytes(generated: Path, tmp_path: Path) -> None:
    docs_module.write_documents(tmp_path)
    for name in FILES:
        text = (tmp_path / name).read_bytes()
        assert text == (generated / name).read_bytes()
        assert text.endswith(b"}\n") and not text.endswith(b"\n\n")


def _resolve(document: dict[str, Any], ref: dict[str, str]) -> dict[str, Any]:
    node: Any = document
    for part in ref["$ref"].removeprefix("#/").split("/"):
        node = node[part]
    assert isinstance(node, dict)
    return node


def _payload_refs(document: dict[str, Any], action: str) -> dict[str, dict[str, str]]:
    """channel name -> the payload reference of its message, for the operations of `action`."""
    found: dict[str, dict[str, str]] = {}
    for operation in document["operations"].values():
        if operation["action"] != action:
            continue
        name = operation["channel"]["$ref"].removeprefix("#/channels/")
        (message_ref,) = operation["messages"]
        message = _resolve(document, _resolve(document, message_ref))  # channel message -> component message
        found[name] = message["payload"]
    return found


def _contract_schema(model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, Any]]:
    schema = model.model_json_schema(ref_template=SCHEMAS + "{model}")
    return schema, schema.pop("$defs", {})


def test_every_stream_subject_is_published_with_its_contract(asyncapi: dict[str, Any]) -> None:
    assert asyncapi["asyncapi"] == "3.0.0"
    channels = asyncapi["channels"]
    published = _payload_refs(asyncapi, "send")
    by_address = {channels[name]["address"]: (name, ref) for name, ref in published.items()}
    schemas = asyncapi["components"]["schemas"]
    for stream, (subject, model) in CONTRACTS.items():
        assert subject in by_address, f"no publisher documents {subject}"
        name, ref = by_address[subject]
        assert ref == {"$ref": SCHEMAS + model.__name__}
        assert f"JetStream stream {stream}" in channels[name]["description"]
        # The schema is the pydantic contract's own: a changed contract changes the document.
        schema, defs = _contract_schema(model)
        assert schemas[model.__name__] == schema
        for def_name, definition in defs.items():
            assert schemas[def_name] == definition
    # The streams the code declares are exactly the ones documented.
    streams = declare_streams(86400.0)
    assert {(s.name, s.subjects[0]) for s in streams.all()} == {(k, v[0]) for k, v in CONTRACTS.items()}
    assert "_complaints.outbox.wake" in by_address  # the relay's nudge (Core NATS) too


def test_every_worker_subscriber_reads_its_stream_contract(asyncapi: dict[str, Any]) -> None:
    channels = asyncapi["channels"]
    subscribed = _payload_refs(asyncapi, "receive")
    assert set(subscribed) == set(CONSUMERS)  # one durable consumer per worker with a FastStream subscriber
    contracts = {subject: model for subject, model in CONTRACTS.values()}
    for name, ref in subscribed.items():
        channel = channels[name]
        assert channel["address"] == CONSUMERS[name].subject
        assert ref == {"$ref": SCHEMAS + contracts[channel["address"]].__name__}
        assert f"JetStream stream {CONSUMERS[name].stream}" in channel["description"]
    # The raw batch payloads FastStream sees in the handlers are replaced, not left over.
    assert not [schema for schema in asyncapi["components"]["schemas"] if ":Payload" in schema]


def test_every_reference_of_the_asyncapi_document_resolves(asyncapi: dict[str, Any]) -> None:
    text = json.dumps(asyncapi)
    refs = [part.split('"')[0] for part in text.split('"$ref": "')[1:]]
    assert refs
    for ref in refs:
        assert _resolve(asyncapi, {"$ref": ref}) is not None


def test_the_registration_is_the_worker_sets() -> None:
    """docs registers the workers with WorkerSet.start's own registrations, one for every durable consumer."""
    runtime = Runtime(docs_module.document_settings())
    broker = make_broker(docs_module.DOCUMENTED_SERVER)
    assert docs_module.stage_registrars is stage_registrars
    assert set(stage_registrars(broker, runtime, docs_module.NoDatabase())) == set(CONSUMERS)  # type: ignore[arg-type]


def test_the_openapi_document_is_the_rest_api(openapi: dict[str, Any]) -> None:
    paths = openapi["paths"]
    assert {"/api/v1/feedback", "/api/v1/tickets/{number}"} <= set(paths)
    assert all(path.startswith("/api/v1/") for path in paths)
    assert "post" in paths["/api/v1/feedback"] and "get" in paths["/api/v1/tickets/{number}"]
    text = json.dumps(openapi)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        assert _resolve(openapi, {"$ref": ref}) is not None
    # Only what the REST paths reach: no form bodies of the staff pages.
    assert not [name for name in openapi.get("components", {}).get("schemas", {}) if name.startswith("Body_")]


def test_docs_needs_no_nats_and_no_database(tmp_path: Path, generated: Path) -> None:
    """A fresh checkout with no server running: NATS_URL unset, no data directory, no database."""
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "COMPLAINTS_NATS_URL", "DATABASE_URL")}
    data_dir = tmp_path / "data"
    env.update(COMPLAINTS_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "workers.cli", "docs", "--output", str(tmp_path / "out")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in FILES:
        assert (tmp_path / "out" / name).read_bytes() == (generated / name).read_bytes()
    assert not data_dir.exists() and not (tmp_path / "var").exists()  # nothing opened or created
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_generating_connects_to_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from faststream.nats import NatsBroker

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("complaints docs must not connect or open anything")

    monkeypatch.setattr(NatsBroker, "connect", refuse)
    monkeypatch.setattr(NatsBroker, "start", refuse)
    monkeypatch.setattr(Database, "from_settings", refuse)
    monkeypatch.setattr("workers.app.runtime.resolve_nats_url", refuse)
    assert set(docs_module.documents()) == set(FILES)


def test_the_identity_code_subject_is_documented_with_its_own_contract(asyncapi: dict[str, Any]) -> None:
    """outbound.identity_code is on the OUTBOUND stream but carries an IdentityCodeMail, not an OutboundMessage:
    the document says so on its own channel and on the deliver worker's, which reads it through outbound.*."""
    channels = asyncapi["channels"]
    published = _payload_refs(asyncapi, "send")
    by_address = {channels[name]["address"]: (name, ref) for name, ref in published.items()}
    name, ref = by_address[CODE_SUBJECT]
    assert ref == {"$ref": SCHEMAS + IdentityCodeMail.__name__}
    assert "JetStream stream OUTBOUND" in channels[name]["description"]
    schema, _ = _contract_schema(IdentityCodeMail)
    assert asyncapi["components"]["schemas"][IdentityCodeMail.__name__] == schema
    assert f"({CODE_SUBJECT}: one IdentityCodeMail)" in channels["deliver"]["description"]
    assert "IdentityCodeMail" not in channels["route"]["description"]  # complaints.normalized does not match


@pytest.mark.parametrize(("pattern", "subject", "matches"), [
    ("outbound.*", "outbound.identity_code", True),
    ("outbound.*", "outbound", False),
    ("outbound.*", "outbound.a.b", False),
    ("outbound.>", "outbound.a.b", True),
    ("outbound.>", "outbound", False),
    ("complaints.normalized", "complaints.normalized", True),
    ("complaints.normalized", "complaints.other", False),
])
def test_subject_matching_follows_nats_wildcards(pattern: str, subject: str, matches: bool) -> None:
    """FastStream's matcher, which the document uses to find the subjects a wildcard subscriber reads."""
    assert is_subject_match_wildcard(subject, pattern) is matches
