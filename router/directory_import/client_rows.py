"""One line of clients.csv (the billing system's export)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationInfo, create_model, field_validator

from channels.base import CHAT_CHANNELS, Channel
from normalizer.phones import to_e164
from router.directory_import.cells import check_login, email_address, numeric_id
from router.directory_import.csv_reading import MULTI_SEPARATOR, split_multi
from router.directory_import.rows import Row
from router.directory_import.vocabulary import (
    BUILDINGS,
    PREFERRED_CHANNELS,
    SEGMENTS,
    BuildingType,
    Segment,
    choice,
)

# A platform id column per chat channel: "<channel>_id".
_PLATFORM_IDS: dict[str, Channel] = {f"{channel.value}_id": channel for channel in CHAT_CHANNELS}
_IDENTITY_COLUMNS: set[str] = {"phones", "emails", *_PLATFORM_IDS}  # a set, as model_dump wants


def _phone(item: str) -> str:
    e164 = to_e164(item)
    if e164 is None:
        raise ValueError(f"телефон «{item}» не распознан / invalid phone number {item!r}")
    return e164


def _each(value: Any, parse: Callable[[str], str]) -> tuple[str, ...]:
    """Every value of a multi-valued cell parsed; values that come out the same are kept once."""
    return tuple(dict.fromkeys(parse(item) for item in split_multi(value)))


class _ClientIdentityColumns(Row):
    """The columns of clients.csv up to the identities; the platform id columns follow (_WithPlatformIds)."""

    contract_number: str = Field(min_length=1, max_length=64)
    account_number: str | None = Field(default=None, max_length=64)
    name: str = Field(min_length=1, max_length=300)
    segment: Segment
    building_type: BuildingType | None = None
    packages: tuple[str, ...] = ()
    address: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


if TYPE_CHECKING:
    _WithPlatformIds = _ClientIdentityColumns
else:  # one optional column per chat channel, in the file's column order
    _WithPlatformIds = create_model("_WithPlatformIds", __base__=_ClientIdentityColumns,
                                    **{column: (str | None, None) for column in _PLATFORM_IDS})


class ClientRow(_WithPlatformIds):
    """One line of clients.csv."""

    manager_login: str | None = Field(default=None, max_length=64)
    preferred_channel: str | None = None  # one of PREFERRED_CHANNELS, checked below

    KEY_NAME = ("номер договора", "contract number")

    def key(self) -> str:
        return self.contract_number

    @field_validator("contract_number", "account_number", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, str):
            # "№ 12-345678", "7 700 123 456" (Excel's digit grouping) -> "12-345678", "7700123456"
            value = re.sub(r"\s+", "", value.strip().removeprefix("№"))
            if MULTI_SEPARATOR in value:
                raise ValueError("допустим только один номер / only one number is allowed")
            if re.fullmatch(r"\d+(?:[.,]\d+)?[eE]\+?\d+", value):
                raise ValueError(
                    f"номер «{value}» испорчен Excel (экспоненциальная запись): сохраните столбец как текст / "
                    f"{value!r} was mangled by Excel into scientific notation: format the column as text"
                )
        return value

    @field_validator("segment", mode="before")
    @classmethod
    def _segment(cls, value: Any) -> Any:
        return choice(SEGMENTS, value, "сегмент", "segment", "individual (физ) или business (юр)")

    @field_validator("building_type", mode="before")
    @classmethod
    def _building(cls, value: Any) -> Any:
        return choice(BUILDINGS, value, "тип здания", "building type", "apartment, private или office")

    @field_validator("packages", mode="before")
    @classmethod
    def _packages(cls, value: Any) -> tuple[str, ...]:
        return tuple(split_multi(value))

    @field_validator("phones", mode="before")
    @classmethod
    def _phones(cls, value: Any) -> tuple[str, ...]:
        return _each(value, _phone)

    @field_validator("emails", mode="before")
    @classmethod
    def _emails(cls, value: Any) -> tuple[str, ...]:
        return _each(value, email_address)

    @field_validator(*_PLATFORM_IDS, mode="before")
    @classmethod
    def _platform_id(cls, value: Any, info: ValidationInfo) -> str | None:
        channel = _PLATFORM_IDS[str(info.field_name)]
        account = CHAT_CHANNELS[channel]
        return numeric_id(value, account.label, account.prefixes, account.example)

    @field_validator("manager_login", mode="before")
    @classmethod
    def _manager(cls, value: Any) -> Any:
        return check_login(value, "manager_login")

    @field_validator("preferred_channel", mode="before")
    @classmethod
    def _channel(cls, value: Any) -> Any:
        if value is None:
            return value
        channel = str(value).strip().casefold()
        if channel not in PREFERRED_CHANNELS:
            raise ValueError(
                f"канал «{value}» неизвестен, допустимо: {', '.join(PREFERRED_CHANNELS)} / "
                f"unknown channel {value!r}, expected one of: {', '.join(PREFERRED_CHANNELS)}"
            )
        return channel

    def identities(self) -> list[tuple[str, str]]:
        """(kind, value) pairs this client is recognised by; the kinds are IDENTITY_LABELS' keys."""
        pairs = [("contract", self.contract_number)]
        if self.account_number:
            pairs.append(("account", self.account_number))
        pairs.extend((Channel.PHONE.value, p) for p in self.phones)
        pairs.extend((Channel.EMAIL.value, e) for e in self.emails)
        for column, channel in _PLATFORM_IDS.items():
            if value := getattr(self, column):
                pairs.append((channel.value, value))
        return pairs

    def client_fields(self) -> dict[str, Any]:
        """The stored client columns; the identity columns become ClientIdentity rows (identities())."""
        fields = self.model_dump(exclude=_IDENTITY_COLUMNS)
        fields["packages"] = list(self.packages)  # a JSON column: a list, as the database gives it back
        return fields


CLIENT_COLUMNS: tuple[str, ...] = ClientRow.columns()
CLIENT_REQUIRED: frozenset[str] = ClientRow.required_columns()
