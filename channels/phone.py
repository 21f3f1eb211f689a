"""Phone channel: a call-centre operator logs the complaint in the web UI.

Parse is pure; the web form (workers.web) wires it to the client directory.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from channels.base import BadSubmission, Channel, RawSubmission, submission_id_for

COMFORT_PACKAGE = "Комфорт"
APARTMENT_BUILDING = "apartment"

# Shown to the operator when the rule below refuses a phone complaint (process document, "Как оформить").
PHONE_REFUSAL_TEXT = (
    "Физические лица, подключённые в многоквартирном доме без пакета услуг «Комфорт», "
    "не могут подать претензию по телефону. Предложите клиенту другой канал: "
    "личный кабинет (раздел «Обратная связь»), группы компании «ВКонтакте» и «Одноклассники», "
    "электронную почту, факс, почту или курьера."
)


def phone_filing_allowed(segment: str, building_type: str | None, packages: list[str]) -> bool:
    """Individuals in an apartment building need the "Комфорт" package to file by phone."""
    if segment != "individual" or building_type != APARTMENT_BUILDING:
        return True
    return any(p.strip().casefold() == COMFORT_PACKAGE.casefold() for p in packages)


class PhoneComplaint(BaseModel):
    """What the operator typed during the call."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    client_id: int | None = None
    contract_number: str | None = Field(default=None, max_length=64)
    caller_phone: str | None = Field(default=None, max_length=32)
    caller_name: str | None = Field(default=None, max_length=200)
    subject: str | None = Field(default=None, max_length=300)
    text: str = Field(min_length=1, max_length=20_000)
    category: str | None = Field(default=None, max_length=64)


def parse_phone_form(data: Any, *, idempotency_key: str, operator_id: str | None,
                     received_at: datetime) -> RawSubmission:
    """The form an operator filled in during the call (raises BadSubmission)."""
    try:
        complaint = PhoneComplaint.model_validate(data)
    except ValidationError as exc:
        raise BadSubmission(f"phone form: {exc.errors(include_url=False)}") from exc
    return RawSubmission(
        submission_id=submission_id_for(Channel.PHONE, idempotency_key),
        channel=Channel.PHONE,
        native_id=idempotency_key,
        received_at=received_at,
        payload=complaint.model_dump(exclude_none=True),
        sender_hint=complaint.caller_phone or complaint.contract_number,
        operator_id=operator_id,
    )
