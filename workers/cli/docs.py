"""`complaints docs`: the AsyncAPI document of the bus and the OpenAPI document of the REST API.

Both are generated from the code, never written by hand: docs/asyncapi.json from a FastStream broker
on which every worker's subscribers are registered exactly as `WorkerSet.start` registers them (plus
the publishes the workers make through nats-py, declared in workers.bus.spec), docs/openapi.json by
the same function that serves GET /api/openapi.json. Nothing is started: no NATS connection, no
database, no data directory; the settings are the defaults, whatever the environment says, so the
files depend on the code alone. The output is deterministic (sorted keys, a trailing newline):
tests/cli/test_docs.py fails when the committed files are stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn, cast

import typer
from faststream.nats import NatsBroker
from pydantic import SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from workers.app.runtime import Database, Runtime, make_broker
from workers.app.settings import Settings
from workers.app.worker_set import WORKER_NAMES, stage_registrars
from workers.bus.spec import asyncapi_document, declare_publishers
from workers.cli import app

DEFAULT_OUTPUT = Path("docs")
ASYNCAPI_FILE = "asyncapi.json"
OPENAPI_FILE = "openapi.json"
# The server named in the AsyncAPI document: NATS's default address (`complaints up` runs its own
# embedded server on a free loopback port; NATS_URL names an external one).
DOCUMENTED_SERVER = "nats://localhost:4222"


class DocumentSettings(Settings):
    """The defaults only: no environment variable or .env file changes the documents."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def document_settings() -> Settings:
    # Not the default placeholder: create_app warns about that one.
    return DocumentSettings(session_secret=SecretStr("complaints-docs: no session is ever signed"))


class NoDatabase:
    """Stands in for the Database the stages' handlers close over: the document never runs a handler."""

    def __getattr__(self, name: str) -> NoReturn:
        raise RuntimeError(f"complaints docs opens no database (Database.{name} was used)")


def gateway_broker(runtime: Runtime) -> NatsBroker:
    """A broker with every worker's subscribers and every documented publisher; never connected."""
    broker = make_broker(DOCUMENTED_SERVER)
    register = stage_registrars(broker, runtime, cast(Database, NoDatabase()))
    for name in WORKER_NAMES:
        if name in register:
            register[name]()
    declare_publishers(broker, runtime.streams)
    return broker


def asyncapi(settings: Settings | None = None) -> dict[str, Any]:
    runtime = Runtime(settings or document_settings())
    return asyncapi_document(gateway_broker(runtime), runtime.streams)


def openapi(settings: Settings | None = None) -> dict[str, Any]:
    from workers.web.api.schema import rest_api_document  # the web app only when the command runs
    from workers.web.app import create_app

    return rest_api_document(create_app(settings or document_settings()))


def render(document: dict[str, Any]) -> str:
    """Stable bytes: sorted keys, two-space indent, UTF-8 as is, one trailing newline."""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def documents() -> dict[str, str]:
    """File name -> content of every generated document."""
    settings = document_settings()
    return {ASYNCAPI_FILE: render(asyncapi(settings)), OPENAPI_FILE: render(openapi(settings))}


def write_documents(output: Path) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, text in documents().items():
        path = output / name
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


@app.command("docs")
def docs(
    output: Path = typer.Option(DEFAULT_OUTPUT, "--output", "-o", file_okay=False,
                                help="Каталог для asyncapi.json и openapi.json"),
) -> None:
    """AsyncAPI (NATS) и OpenAPI (REST) из кода / write docs/asyncapi.json and docs/openapi.json."""
    for path in write_documents(output):
        typer.echo(str(path))
