"""The REST API's Idempotency-Key: the same key and body is a resend, the same key and another body a conflict."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from workers.bus import request_records
from workers.bus.request_records import RequestRecord
from workers.web.errors import ApiError

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]{1,200}$")


async def idempotency_key(request: Request) -> str:
    key = request.headers.get(HEADER)
    if key is None or not key.strip():
        raise ApiError(
            400,
            "Нужен заголовок Idempotency-Key: уникальный ключ обращения (1–200 символов: латинские буквы, "
            "цифры и _ . : -). Повторная отправка с тем же ключом не создаст вторую претензию.",
            "The Idempotency-Key header is required: a unique key per complaint (1-200 characters of "
            "A-Z a-z 0-9 _ . : -). Resending with the same key never creates a second complaint.",
        )
    if not KEY_PATTERN.match(key):
        raise ApiError(
            400,
            "Некорректный заголовок Idempotency-Key: допустимо 1–200 символов — латинские буквы, цифры и _ . : -.",
            "The Idempotency-Key header is not valid: 1-200 characters of A-Z a-z 0-9 _ . : - are allowed.",
        )
    return key


def body_fingerprint(canonical: dict[str, Any]) -> str:
    """sha256 of the validated body in canonical JSON: formatting and key order do not matter."""
    text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _conflict() -> ApiError:
    return ApiError(
        409,
        "Этот Idempotency-Key уже использован для другого обращения с другим содержанием. "
        "Для новой претензии сгенерируйте новый ключ.",
        "This Idempotency-Key was already used for a request with a different body. "
        "Generate a new key for a new complaint.",
    )


@dataclass(frozen=True)
class Claim:
    """The recorded request: its submission id, and whether this call created the record (at `revision`)."""

    revision: int
    submission_id: str
    created: bool


def _same_body(record: RequestRecord | None, api_client: str, fingerprint: str) -> None:
    if record is None or record.api_client != api_client or record.body_sha256 != fingerprint:
        raise _conflict()


async def claim(js: JetStreamContext, api_client: str, fingerprint: str, submission_id: str) -> Claim:
    """Record the request before anything is published: one atomic create in the request-records bucket.

    The submission id is derived from the API client and the key, so the same key always lands on the same
    entry: created means a new request; an existing entry with the same client and body is a resend.
    """
    records = request_records.bucket(js)
    record = RequestRecord(api_client, fingerprint)
    for _ in range(3):  # a record released by a failed publish in between is created again
        try:
            revision = await records.create(submission_id, record.encode())
            return Claim(revision, submission_id, created=True)
        except KeyWrongLastSequenceError:
            try:
                entry = await records.get(submission_id)
            except KeyNotFoundError:
                continue
            _same_body(RequestRecord.decode(entry.value), api_client, fingerprint)
            return Claim(entry.revision or 0, submission_id, created=False)
    raise RuntimeError("the request record kept changing")


async def release(js: JetStreamContext, claim_: Claim) -> None:
    """Forget a record this call made, so a retry after a failed publish is accepted again."""
    if claim_.created:
        await request_records.bucket(js).delete(claim_.submission_id, last=claim_.revision)


async def sent_by(js: JetStreamContext, submission_id: str) -> str | None:
    """The API client that sent this submission, from its record (None if there is none)."""
    try:
        entry = await request_records.bucket(js).get(submission_id)
    except KeyNotFoundError:
        return None
    record = RequestRecord.decode(entry.value)
    return record.api_client if record is not None else None
