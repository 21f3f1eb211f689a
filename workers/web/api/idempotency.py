"""The REST API's Idempotency-Key: the same key and body is a resend, the same key and another body a conflict."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError

from router.models import ApiRequest
from router.timeutil import to_utc, utcnow
from workers.app.runtime import Database
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
    """The recorded request: its submission id, and whether this call created the record."""

    row_id: int
    submission_id: str
    created: bool


def _existing_query(api_client: str, key: str) -> Select[ApiRequest]:
    return select(ApiRequest).where(ApiRequest.api_client == api_client, ApiRequest.idempotency_key == key)


def _same_body(row: ApiRequest, fingerprint: str) -> Claim:
    if row.body_sha256 != fingerprint:
        raise _conflict()
    return Claim(row.id, row.submission_id, created=False)


async def claim(database: Database, api_client: str, key: str, fingerprint: str, submission_id: str) -> Claim:
    """Record the request in its own transaction, before anything is published.

    One session and one round of statements: the lookup and the insert share the transaction (a request
    used to take two sessions, each a pool checkout, which under load is where requests queued).
    """
    try:
        async with database.sessions() as session, session.begin():
            row = await session.scalar(_existing_query(api_client, key))
            if row is not None:
                return _same_body(row, fingerprint)
            new = ApiRequest(
                api_client=api_client, idempotency_key=key, body_sha256=fingerprint,
                submission_id=submission_id, created_at=to_utc(utcnow()),
            )
            session.add(new)
            await session.flush()
            return Claim(new.id, submission_id, created=True)
    except IntegrityError:
        # The same key arrived twice at once: the other request's record decides.
        async with database.read_sessions() as session:
            row = await session.scalar(_existing_query(api_client, key))
        if row is None:
            raise
        return _same_body(row, fingerprint)


async def release(database: Database, claim_: Claim) -> None:
    """Forget a record this call made, so a retry after a failed publish is accepted again."""
    if not claim_.created:
        return
    async with database.sessions() as session, session.begin():
        await session.execute(delete(ApiRequest).where(ApiRequest.id == claim_.row_id))
