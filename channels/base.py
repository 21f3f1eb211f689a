"""What every channel produces: the RawSubmission contract, the channel names, and the two kinds of failure."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Literal, cast

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

SUBMISSION_NAMESPACE = uuid.UUID("6f1c5a52-8a0e-4c8e-9a57-3b1d1c0de001")


class Channel(StrEnum):
    EMAIL = "email"
    VK = "vk"
    OK = "ok"
    TELEGRAM = "telegram"
    PHONE = "phone"
    WEB = "web"
    POST = "post"
    FAX = "fax"


@dataclass(frozen=True)
class AccountIdFormat:
    """How a platform's account id is written where staff type it (the client directory's `<channel>_id`)."""

    label: str  # what staff call it
    prefixes: tuple[str, ...]  # profile-link prefixes a cell may carry, stripped
    example: str


# Chat channels: a conversation with an account on a platform (the next message continues its open ticket).
CHAT_CHANNELS: Mapping[Channel, AccountIdFormat] = {
    Channel.VK: AccountIdFormat("VK id", ("https://vk.com/id", "http://vk.com/id", "vk.com/id", "id"),
                                "12345678 или id12345678"),
    Channel.OK: AccountIdFormat("OK id", ("https://ok.ru/profile/", "ok.ru/profile/", "user:"), "571234567890"),
    Channel.TELEGRAM: AccountIdFormat("Telegram id", (), "123456789"),
}


class RawSubmission(BaseModel):
    """A submission exactly as a channel received it (channels -> normalizer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: Literal[1] = 1
    submission_id: uuid.UUID
    channel: Channel
    native_id: str = Field(min_length=1, max_length=512, description="Idempotency key on the channel")
    received_at: AwareDatetime
    payload: dict[str, Any] = Field(description="Channel-native JSON, or {'blob_key': ...} for raw bytes")
    sender_hint: str | None = Field(default=None, max_length=512)
    operator_id: str | None = Field(default=None, max_length=128, description="Staff login (phone/post)")
    blob_keys: list[str] = Field(default_factory=list)

    @field_validator("payload", mode="after")
    @classmethod
    def _no_lone_surrogates(cls, payload: dict[str, Any]) -> dict[str, Any]:
        """JSON may escape a lone UTF-16 surrogate ("\\ud800"): json.loads makes it a str that no UTF-8 can carry,
        and the submission could never be published (an edge would answer 503 for ever). Each becomes U+FFFD."""
        return cast(dict[str, Any], _replace_lone_surrogates(payload))

    @property
    def dedup_key(self) -> str:
        """The Nats-Msg-Id: unique per channel and native id."""
        return f"{self.channel.value}:{self.native_id}"


def _has_lone_surrogates(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")  # C speed; only a lone surrogate cannot be encoded
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogates(k) or _has_lone_surrogates(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogates(item) for item in value)
    return False


def _replace_lone_surrogates(value: Any) -> Any:
    """The payload itself when it is clean (every submission but a hostile one): checked, not copied."""
    if not _has_lone_surrogates(value):
        return value
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_replace_lone_surrogates(k): _replace_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_lone_surrogates(item) for item in value]
    return value


def submission_id_for(channel: Channel, native_id: str) -> uuid.UUID:
    """A stable id, so a resent submission keeps the id the client was given."""
    return uuid.uuid5(SUBMISSION_NAMESPACE, f"{channel.value}:{native_id}")


class BadSubmission(ValueError):
    """Permanent: the input can never be processed as it is (quarantine it, do not retry)."""


class ChannelUnavailable(RuntimeError):
    """Temporary: the platform or a dependency is down; retry later."""


@dataclass(frozen=True)
class WebhookAnswer:
    """What a webhook endpoint answers the platform: the HTTP status and one word of text (VK reads it as
    the plain-text body, OK and Telegram get it inside their JSON)."""

    status: int
    text: str
