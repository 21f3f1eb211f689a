"""Web channel: the personal account's "Обратная связь" form posts here over REST."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import phonenumbers
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, field_validator, model_validator

from channels.base import BadSubmission, Channel, RawSubmission, submission_id_for


def _valid_phone(value: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, "RU"))
    except phonenumbers.NumberParseException:
        return False


class WebFeedback(BaseModel):
    """The body of POST /api/v1/feedback."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=1, max_length=20_000, description="Текст претензии")
    subject: str | None = Field(default=None, max_length=300)
    contract_number: str | None = Field(default=None, max_length=64)
    account_number: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    email: EmailStr | None = None
    name: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=64)

    @field_validator("phone")
    @classmethod
    def _phone_is_a_number(cls, value: str | None) -> str | None:
        if value and not _valid_phone(value):
            raise ValueError("телефон не распознан / the phone number is not valid")
        return value

    @model_validator(mode="after")
    def _someone_identifiable(self) -> WebFeedback:
        if not (self.contract_number or self.account_number or self.phone or self.email):
            raise ValueError(
                "укажите номер договора, лицевой счёт, телефон или e-mail / "
                "give a contract number, account number, phone or e-mail"
            )
        return self


def parse_feedback(data: Any, *, idempotency_key: str, api_client: str, received_at: datetime) -> RawSubmission:
    """The personal account's feedback; the native id is the API client's Idempotency-Key (raises BadSubmission)."""
    try:
        feedback = data if isinstance(data, WebFeedback) else WebFeedback.model_validate(data)
    except ValidationError as exc:
        raise BadSubmission(f"web feedback: {exc.errors(include_url=False)}") from exc
    native_id = f"{api_client}:{idempotency_key}"
    return RawSubmission(
        submission_id=submission_id_for(Channel.WEB, native_id),
        channel=Channel.WEB,
        native_id=native_id,
        received_at=received_at,
        payload=feedback.model_dump(exclude_none=True, mode="json"),
        sender_hint=feedback.contract_number or feedback.account_number or feedback.email,
    )
