"""`complaints schema` (the published contracts) and `complaints normalize` (try the normalizer on a file)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel, ValidationError

from channels.base import BadSubmission, Channel, RawSubmission
from channels.blobs import BlobStore, MemoryBlobStore
from channels.email.submission import mail_submission
from channels.phone import parse_phone_form
from channels.web import parse_feedback
from normalizer.config import NormalizerConfig
from normalizer.event import ComplaintEvent
from normalizer.pipeline import normalize
from router.contracts import OutboundMessage, TicketEvent, TicketView
from workers.app.settings import Settings
from workers.channels.registry import normalizer_steps
from workers.cli import app
from workers.cli.scan_tool import normalize_scan

SCAN = "scan"  # `--channel scan`: a scanned letter's file, through OCR

CONTRACTS: dict[str, type[BaseModel]] = {
    "RawSubmission": RawSubmission,
    "ComplaintEvent": ComplaintEvent,
    "Ticket": TicketView,
    "TicketEvent": TicketEvent,
    "OutboundMessage": OutboundMessage,
}
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def contract_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of every published contract, keyed by model name."""
    return {name: {"$schema": JSON_SCHEMA_DIALECT, **model.model_json_schema()} for name, model in CONTRACTS.items()}


@app.command("schema")
def schema(
    output: Path | None = typer.Option(
        None, "--output", "-o", file_okay=False, help="Каталог: по файлу <Модель>.schema.json на модель"
    ),
) -> None:
    """JSON Schema контрактов / print the JSON Schemas of the contracts."""
    schemas = contract_schemas()
    if output is None:
        typer.echo(json.dumps(schemas, ensure_ascii=False, indent=2))
        return
    output.mkdir(parents=True, exist_ok=True)
    for name, body in schemas.items():
        path = output / f"{name}.schema.json"
        path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        typer.echo(str(path))


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Ошибка: {message}", err=True)
    return typer.Exit(2)


def _is_whole_submission(data: dict[str, Any]) -> bool:
    return "payload" in data and ("submission_id" in data or "native_id" in data)


def is_raw_mail(file: Path, channel: Channel | None) -> bool:
    """An .eml file, or any file that is not JSON given with --channel email."""
    if file.suffix.lower() == ".eml":
        return True
    return channel == Channel.EMAIL and not file.read_bytes()[:64].lstrip().startswith(b"{")


def mail_from_file(file: Path, blobs: BlobStore) -> RawSubmission:
    """The raw mail into `blobs`, described as intake would (native id from the content hash)."""
    data = file.read_bytes()
    received_at = datetime.fromtimestamp(file.stat().st_mtime, tz=UTC)
    native_id = f"file:{hashlib.sha256(data).hexdigest()[:16]}"
    return mail_submission(blobs.put(data), native_id=native_id, received_at=received_at, size=len(data),
                           origin={"file": file.name})


def submission_from_file(file: Path, channel: Channel | None, api_client: str, operator: str | None) -> RawSubmission:
    """A whole RawSubmission, or a channel payload wrapped by the channel's adapter. Raises BadSubmission."""
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadSubmission(f"{file.name}: не JSON / not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadSubmission(f"{file.name}: ожидался JSON-объект / expected a JSON object")
    if _is_whole_submission(data):
        try:
            raw = RawSubmission.model_validate(data)
        except ValidationError as exc:
            raise BadSubmission(f"{file.name}: не RawSubmission / not a RawSubmission: {exc}") from exc
        if channel is not None and raw.channel != channel:
            raise BadSubmission(f"{file.name}: канал в файле «{raw.channel}», а не «{channel}» / channel mismatch")
        return raw
    if channel is None:
        raise BadSubmission("для данных канала укажите --channel / give --channel for a channel payload")
    received_at = datetime.fromtimestamp(file.stat().st_mtime, tz=UTC)
    # The structured forms have a parser of their own; the platforms' payloads come in a RawSubmission.
    if channel is Channel.PHONE:
        return parse_phone_form(data, idempotency_key=file.name, operator_id=operator, received_at=received_at)
    if channel is Channel.WEB:
        return parse_feedback(data, idempotency_key=file.name, api_client=api_client, received_at=received_at)
    raise BadSubmission(
        f"у канала «{channel}» нет разбора данных: подайте целый RawSubmission; разбор есть у: phone, web / "
        f"no adapter for {channel}: give a whole RawSubmission"
    )


@app.command("normalize")
def normalize_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="JSON-файл или письмо .eml"),
    channel_name: str | None = typer.Option(
        None, "--channel", "-c", help="Канал (или scan для скана письма: PDF, TIFF, PNG, JPEG); обязателен для "
        "данных канала без конверта"
    ),
    api_client: str = typer.Option("cli", help="Владелец токена для web (часть native id)"),
    operator: str | None = typer.Option(None, help="Логин оператора для phone"),
) -> None:
    """Показать ComplaintEvent, в который нормализатор превратит файл / normalize a submission file."""
    # The same patterns, caps and fax gateways as the normalize worker, and the same channel steps.
    settings = Settings()
    if channel_name is not None and channel_name.lower() == SCAN:
        try:
            typer.echo(json.dumps(normalize_scan(file, settings), ensure_ascii=False, indent=2))
        except BadSubmission as exc:
            raise _fail(f"скан не может быть обработан / bad scan: {exc}") from None
        return
    try:
        channel = Channel(channel_name.lower()) if channel_name is not None else None
    except ValueError:
        raise _fail(f"нет канала «{channel_name}»; есть: {', '.join(c.value for c in Channel)}, {SCAN}") from None
    config = NormalizerConfig.from_settings(settings)
    blobs = MemoryBlobStore()  # raw mail and attachments stay in memory: nothing is written
    try:
        if is_raw_mail(file, channel):
            if channel not in (None, Channel.EMAIL):
                raise BadSubmission(f"письмо .eml — это канал email, а не «{channel}» / an .eml file is email")
            raw = mail_from_file(file, blobs)
        else:
            raw = submission_from_file(file, channel, api_client, operator)
        event = normalize(raw, config=config, channel_steps=normalizer_steps(), blobs=blobs)
    except BadSubmission as exc:
        raise _fail(f"обращение не может быть обработано / bad submission: {exc}") from None
    typer.echo(event.model_dump_json(indent=2))
