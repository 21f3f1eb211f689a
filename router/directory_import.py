"""Import the client and staff directory from CSV exports (billing system, HR), in batches.

The file: UTF-8 (a BOM is fine; an Excel export in Windows-1251 is accepted too), `,` or `;` sniffed from
the header line, multi-valued cells separated by `|`. A bad row is reported with its line number and the
reason and skipped; the good rows are written together in one transaction, so thousands of rows take
seconds. Re-importing a file updates the rows it names (clients by contract number, staff by login) and
leaves an unchanged row untouched.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.networks import validate_email
from pydantic_core import PydanticCustomError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from normalizer.phones import to_e164
from router.models import Client, ClientIdentity, Staff
from router.passwords import hash_password, verify_password

MULTI_SEPARATOR = "|"
CHUNK = 500  # values per IN (...) and rows per write batch

# on_progress(phase, done, total); phase is "check" (reading and validating) or "write".
Progress = Callable[[str, int, int], None]

Segment = Literal["individual", "business"]
BuildingType = Literal["apartment", "private", "office"]
PreferredChannel = Literal["email", "vk", "ok", "telegram", "phone", "web", "post"]
Role = Literal["operator", "manager", "department_head", "subscriber_head", "director", "admin"]
ROLES: tuple[Role, ...] = ("operator", "manager", "department_head", "subscriber_head", "director", "admin")

CLIENT_COLUMNS: tuple[str, ...] = (
    "contract_number", "account_number", "name", "segment", "building_type", "packages", "address",
    "phones", "emails", "vk_id", "ok_id", "telegram_id", "manager_login", "preferred_channel",
)
CLIENT_REQUIRED: frozenset[str] = frozenset({"contract_number", "name", "segment"})
STAFF_COLUMNS: tuple[str, ...] = (
    "login", "name", "role", "department", "deputy_login", "active", "email", "password",
)
STAFF_REQUIRED: frozenset[str] = frozenset({"login", "name", "role", "department"})

IDENTITY_KINDS: tuple[str, ...] = ("contract", "account", "phone", "email", "vk", "ok", "telegram")
IDENTITY_LABELS: dict[str, str] = {
    "contract": "номер договора",
    "account": "лицевой счёт",
    "phone": "телефон",
    "email": "e-mail",
    "vk": "VK id",
    "ok": "OK id",
    "telegram": "Telegram id",
}
SUBSCRIBER_DEPARTMENT = "subscriber"  # router.assignment; repeated to keep this module free of its imports

T = TypeVar("T")


def _choice(table: dict[str, Any], value: Any, what_ru: str, what_en: str, allowed: str) -> Any:
    """Map a loosely written code (any case, Russian synonyms) to its stored form, or say what is allowed."""
    if value is None:
        return value
    found = table.get(_key(str(value)))
    if found is None:
        raise ValueError(
            f"{what_ru}: неизвестное значение «{value}», допустимо: {allowed} / unknown {what_en} {value!r}"
        )
    return found


def _key(value: str) -> str:
    """Loose spelling for synonyms: "Физ. лицо" -> "физлицо", "department_head" -> "departmenthead"."""
    return re.sub(r"[\s._\-]+", "", value.casefold())


def _loose(*groups: tuple[T, tuple[str, ...]]) -> dict[str, T]:
    return {_key(name): value for value, names in groups for name in (str(value), *names)}


_SEGMENTS: dict[str, Segment] = _loose(
    ("individual", ("person", "физ", "физ. лицо", "физическое лицо", "ФЛ", "частное лицо")),
    ("business", ("company", "юр", "юр. лицо", "юридическое лицо", "ЮЛ", "ИП", "организация")),
)
_BUILDINGS: dict[str, BuildingType] = _loose(
    ("apartment", ("МКД", "многоквартирный", "многоквартирный дом", "квартира")),
    ("private", ("house", "частный", "частный дом", "дом")),
    ("office", ("офис", "нежилое", "нежилое помещение")),
)
_ROLES: dict[str, Role] = _loose(
    ("operator", ("оператор",)),
    ("manager", ("менеджер", "персональный менеджер")),
    ("department_head", ("начальник отдела",)),
    ("subscriber_head", ("начальник абонентского отдела",)),
    ("director", ("директор", "генеральный директор")),
    ("admin", ("администратор",)),
)
_CHANNELS: tuple[str, ...] = ("email", "vk", "ok", "telegram", "phone", "web", "post")
_DEPARTMENTS: dict[str, str] = _loose((SUBSCRIBER_DEPARTMENT, ("абонентский", "абонентский отдел")))
_TRUE = frozenset({"true", "1", "yes", "y", "да", "д", "+"})
_FALSE = frozenset({"false", "0", "no", "n", "нет", "н", "-"})
_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

REQUIRED_MESSAGE = "обязательное поле не заполнено / required value is missing"


# ---------------------------------------------------------------------------------------------- report


@dataclass
class ImportReport:
    """What an import did. Lines are file lines (the header is line 1)."""

    kind: str
    total: int = 0  # data rows read
    imported: int = 0  # new rows
    updated: int = 0  # existing rows that changed
    unchanged: int = 0  # existing rows already as in the file
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> int:
        return self.imported + self.updated

    def error(self, line: int, message: str) -> None:
        self.errors.append((line, message))

    def warn(self, line: int, message: str) -> None:
        self.warnings.append((line, message))

    def finish(self) -> ImportReport:
        self.errors.sort(key=lambda item: item[0])
        self.warnings.sort(key=lambda item: item[0])
        return self


@dataclass
class _Counts:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: _Counts) -> None:
        self.imported += other.imported
        self.updated += other.updated
        self.unchanged += other.unchanged


# ------------------------------------------------------------------------------------------- row models


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        items = str(value).split(MULTI_SEPARATOR)
    seen: list[str] = []
    for item in (i.strip() for i in items):
        if item and item not in seen:
            seen.append(item)
    return seen


def _check_login(value: str | None, column: str) -> str | None:
    if value is None:
        return None
    if not _LOGIN.match(value):
        raise ValueError(
            f"логин «{value}» недопустим: латинские буквы, цифры, точка, дефис, подчёркивание / "
            f"invalid {column} {value!r}: use latin letters, digits, '.', '-', '_'"
        )
    return value


def _email(value: str) -> str:
    lowered = value.strip().lower()
    try:
        _, address = validate_email(lowered)
    except PydanticCustomError as exc:
        raise ValueError(f"e-mail «{value}» некорректен / invalid e-mail {value!r}: {exc.message()}") from exc
    return address.lower()


def _numeric_id(value: str | None, what: str, prefixes: tuple[str, ...], example: str) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    for prefix in prefixes:
        if cleaned.casefold().startswith(prefix):
            cleaned = cleaned[len(prefix):]
            break
    if not cleaned.isdigit() or not cleaned.isascii():
        raise ValueError(
            f"{what} должен быть числом (например {example}), «{value}» не подходит / "
            f"{what} must be numeric (e.g. {example}), got {value!r}"
        )
    return cleaned.lstrip("0") or "0"


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ClientRow(_Row):
    """One line of clients.csv."""

    contract_number: str = Field(min_length=1, max_length=64)
    account_number: str | None = Field(default=None, max_length=64)
    name: str = Field(min_length=1, max_length=300)
    segment: Segment
    building_type: BuildingType | None = None
    packages: tuple[str, ...] = ()
    address: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    vk_id: str | None = None
    ok_id: str | None = None
    telegram_id: str | None = None
    manager_login: str | None = Field(default=None, max_length=64)
    preferred_channel: PreferredChannel | None = None

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
        return _choice(_SEGMENTS, value, "сегмент", "segment", "individual (физ) или business (юр)")

    @field_validator("building_type", mode="before")
    @classmethod
    def _building(cls, value: Any) -> Any:
        return _choice(_BUILDINGS, value, "тип здания", "building type", "apartment, private или office")

    @field_validator("packages", mode="before")
    @classmethod
    def _packages(cls, value: Any) -> tuple[str, ...]:
        return tuple(_split(value))

    @field_validator("phones", mode="before")
    @classmethod
    def _phones(cls, value: Any) -> tuple[str, ...]:
        phones: list[str] = []
        for item in _split(value):
            e164 = to_e164(item)
            if e164 is None:
                raise ValueError(f"телефон «{item}» не распознан / invalid phone number {item!r}")
            if e164 not in phones:
                phones.append(e164)
        return tuple(phones)

    @field_validator("emails", mode="before")
    @classmethod
    def _emails(cls, value: Any) -> tuple[str, ...]:
        emails: list[str] = []
        for item in _split(value):
            address = _email(item)
            if address not in emails:
                emails.append(address)
        return tuple(emails)

    @field_validator("vk_id", mode="before")
    @classmethod
    def _vk(cls, value: Any) -> str | None:
        prefixes = ("https://vk.com/id", "http://vk.com/id", "vk.com/id", "id")
        return _numeric_id(value, "VK id", prefixes, "12345678 или id12345678")

    @field_validator("ok_id", mode="before")
    @classmethod
    def _ok(cls, value: Any) -> str | None:
        prefixes = ("https://ok.ru/profile/", "ok.ru/profile/", "user:")
        return _numeric_id(value, "OK id", prefixes, "571234567890")

    @field_validator("telegram_id", mode="before")
    @classmethod
    def _telegram(cls, value: Any) -> str | None:
        return _numeric_id(value, "Telegram id", (), "123456789")

    @field_validator("manager_login", mode="before")
    @classmethod
    def _manager(cls, value: Any) -> Any:
        return _check_login(value, "manager_login") if isinstance(value, str) else value

    @field_validator("preferred_channel", mode="before")
    @classmethod
    def _channel(cls, value: Any) -> Any:
        if value is None:
            return value
        channel = str(value).strip().casefold()
        if channel not in _CHANNELS:
            raise ValueError(
                f"канал «{value}» неизвестен, допустимо: {', '.join(_CHANNELS)} / "
                f"unknown channel {value!r}, expected one of: {', '.join(_CHANNELS)}"
            )
        return channel

    def identities(self) -> list[tuple[str, str]]:
        """(kind, value) pairs this client is recognised by."""
        pairs = [("contract", self.contract_number)]
        if self.account_number:
            pairs.append(("account", self.account_number))
        pairs.extend(("phone", p) for p in self.phones)
        pairs.extend(("email", e) for e in self.emails)
        for kind, value in (("vk", self.vk_id), ("ok", self.ok_id), ("telegram", self.telegram_id)):
            if value:
                pairs.append((kind, value))
        return pairs

    def client_fields(self) -> dict[str, Any]:
        return {
            "contract_number": self.contract_number,
            "account_number": self.account_number,
            "name": self.name,
            "segment": self.segment,
            "building_type": self.building_type,
            "packages": list(self.packages),
            "address": self.address,
            "manager_login": self.manager_login,
            "preferred_channel": self.preferred_channel,
        }


class StaffRow(_Row):
    """One line of staff.csv."""

    login: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    department: str = Field(min_length=1, max_length=64)
    deputy_login: str | None = Field(default=None, max_length=64)
    active: bool = True
    email: str | None = Field(default=None, max_length=320)
    password: str | None = Field(default=None, repr=False)

    @field_validator("login", mode="before")
    @classmethod
    def _login(cls, value: Any) -> Any:
        return _check_login(value, "login") if isinstance(value, str) else value

    @field_validator("deputy_login", mode="before")
    @classmethod
    def _deputy(cls, value: Any) -> Any:
        return _check_login(value, "deputy_login") if isinstance(value, str) else value

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: Any) -> Any:
        return _choice(_ROLES, value, "роль", "role", ", ".join(ROLES))

    @field_validator("department", mode="before")
    @classmethod
    def _department(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return _DEPARTMENTS.get(_key(value), value.strip().lower())

    @field_validator("active", mode="before")
    @classmethod
    def _active(cls, value: Any) -> Any:
        if value is None:
            return True
        if isinstance(value, bool):
            return value
        text = str(value).strip().casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(
            f"значение «{value}» не распознано: true/false, 1/0, да/нет / "
            f"expected true/false, 1/0, да/нет, got {value!r}"
        )

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> Any:
        return _email(value) if isinstance(value, str) else value

    def staff_fields(self) -> dict[str, Any]:
        return {
            "login": self.login,
            "name": self.name,
            "role": self.role,
            "department": self.department,
            "deputy_login": self.deputy_login,
            "active": self.active,
            "email": self.email,
        }


def describe_validation_error(exc: ValidationError) -> str:
    """One line, column by column, in Russian and English."""
    parts: list[str] = []
    for err in exc.errors(include_url=False):
        column = ".".join(str(p) for p in err["loc"] if not isinstance(p, int)) or "строка / row"
        parts.append(f"{column}: {_message(err)}")
    return "; ".join(parts)


def _message(err: Any) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind == "missing" or (kind == "string_type" and err.get("input") is None):
        return REQUIRED_MESSAGE
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        return f"слишком длинное значение (не более {limit} символов) / too long (at most {limit} characters)"
    if kind == "string_too_short":
        return REQUIRED_MESSAGE
    if kind == "extra_forbidden":
        return "неизвестный столбец / unknown column"
    return str(err["msg"])


# ------------------------------------------------------------------------------------------------- CSV


@dataclass
class CsvRow:
    line: int  # the file line the record starts on
    values: dict[str, str | None]


def decode_csv(data: bytes) -> tuple[str, str]:
    """Text and encoding: UTF-8 (with or without BOM), else Windows-1251 (Excel's Russian default)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1251"), "cp1251"


def sniff_delimiter(text: str) -> str:
    """`;` (Russian Excel), `,` or tab, whichever the header line uses most; `,` on a tie."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _header_name(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", value.strip().strip("\ufeff").lower())


def read_csv(
    source: Path | bytes,
    columns: Sequence[str],
    required: Iterable[str],
    report: ImportReport,
) -> list[CsvRow] | None:
    """The data rows, or None when the file itself is unusable (reported as line 1)."""
    data = source.read_bytes() if isinstance(source, Path) else source
    text, encoding = decode_csv(data)
    if encoding != "utf-8":
        report.warn(1, "файл прочитан в кодировке Windows-1251 / file decoded as Windows-1251")
    if not text.strip():
        report.error(1, "файл пуст / the file is empty")
        return None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    header: list[str] | None = None
    rows: list[CsvRow] = []
    last_line = 0
    try:
        for record in reader:
            start, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [_header_name(cell) for cell in record]
                if not _check_header(header, columns, required, start, report):
                    return None
                continue
            report.total += 1
            if len(record) > len(header):
                report.error(
                    start,
                    f"значений в строке ({len(record)}) больше, чем столбцов ({len(header)}): возможно, "
                    "разделитель внутри значения без кавычек / more fields than header columns: "
                    "quote values that contain the delimiter",
                )
                continue
            values: dict[str, str | None] = {}
            for name, cell in zip(header, record, strict=False):
                cleaned = cell.replace("\r\n", "\n").replace("\r", "\n").strip()
                values[name] = cleaned or None
            rows.append(CsvRow(start, values))
    except csv.Error as exc:
        report.error(last_line + 1, f"ошибка формата CSV / malformed CSV: {exc}")
        return None
    if header is None:
        report.error(1, "файл пуст / the file is empty")
        return None
    return rows


def _check_header(
    header: list[str], columns: Sequence[str], required: Iterable[str], line: int, report: ImportReport
) -> bool:
    problems: list[str] = []
    duplicates = sorted({name for name in header if header.count(name) > 1 and name})
    if duplicates:
        problems.append(f"столбцы повторяются / duplicate columns: {', '.join(duplicates)}")
    unknown = [name for name in header if name not in columns]
    if unknown:
        problems.append(
            f"неизвестные столбцы / unknown columns: {', '.join(n or '(пусто)' for n in unknown)}; "
            f"допустимые / known: {', '.join(columns)}"
        )
    missing = [name for name in columns if name in set(required) and name not in header]
    if missing:
        problems.append(f"нет обязательных столбцов / missing required columns: {', '.join(missing)}")
    for problem in problems:
        report.error(line, problem)
    return not problems


RowT = TypeVar("RowT", bound=_Row)


def validate_rows(
    rows: list[CsvRow], model: type[RowT], report: ImportReport, progress: Progress | None = None
) -> list[tuple[int, RowT]]:
    good: list[tuple[int, RowT]] = []
    for done, row in enumerate(rows, 1):
        try:
            good.append((row.line, model.model_validate(row.values)))
        except ValidationError as exc:
            report.error(row.line, describe_validation_error(exc))
        if progress is not None and (done % 100 == 0 or done == len(rows)):
            progress("check", done, len(rows))
    return good


def _first_wins(
    rows: list[tuple[int, RowT]], key: Callable[[RowT], str], what: tuple[str, str], report: ImportReport
) -> list[tuple[int, RowT]]:
    """A key repeated in the file: the first row wins, the others are errors."""
    ru, en = what
    first: dict[str, int] = {}
    kept: list[tuple[int, RowT]] = []
    for line, row in rows:
        value = key(row)
        if value in first:
            report.error(line, f"{ru} «{value}» уже встречался в строке {first[value]} / "
                               f"duplicate {en} {value!r}, first in line {first[value]}")
            continue
        first[value] = line
        kept.append((line, row))
    return kept


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _assign(target: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


Writer = Callable[[AsyncSession, list[tuple[int, RowT]], Progress | None], Awaitable[_Counts]]


async def _write(
    sessions: async_sessionmaker[AsyncSession],
    rows: list[tuple[int, RowT]],
    writer: Writer[RowT],
    report: ImportReport,
    progress: Progress | None,
) -> None:
    """All rows in one transaction; if the database still refuses one, row by row to find it."""
    try:
        async with sessions() as session, session.begin():
            counts = await writer(session, rows, progress)
    except IntegrityError:
        counts = _Counts()
        for done, (line, row) in enumerate(rows, 1):
            try:
                async with sessions() as session, session.begin():
                    counts.add(await writer(session, [(line, row)], None))
            except IntegrityError as exc:
                report.error(line, f"конфликт с данными в базе / database conflict: {exc.orig}")
            if progress is not None:
                progress("write", done, len(rows))
    report.imported += counts.imported
    report.updated += counts.updated
    report.unchanged += counts.unchanged


# ----------------------------------------------------------------------------------------------- clients


async def import_clients(
    sessions: async_sessionmaker[AsyncSession],
    source: Path | bytes,
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert clients by contract number; each client's identities are replaced by the file's."""
    report = ImportReport("clients")
    table = read_csv(source, CLIENT_COLUMNS, CLIENT_REQUIRED, report)
    if table is None:
        return report.finish()
    rows = validate_rows(table, ClientRow, report, progress)
    rows = _first_wins(rows, lambda r: r.contract_number, ("номер договора", "contract number"), report)
    async with sessions() as session:
        owners = await _identity_owners(session, [r for _, r in rows])
    rows = _resolve_identity_conflicts(rows, owners, report)
    if rows:
        await _write(sessions, rows, _write_clients, report, progress)
        await _warn_unknown_managers(sessions, rows, report)
    elif progress is not None:
        progress("write", 0, 0)
    return report.finish()


async def _identity_owners(session: AsyncSession, rows: list[ClientRow]) -> dict[tuple[str, str], str]:
    """Contract number of the client that holds each (kind, value) the file mentions."""
    values = sorted({value for row in rows for _, value in row.identities()})
    owners: dict[tuple[str, str], str] = {}
    for chunk in _chunks(values):
        result = await session.execute(
            select(ClientIdentity.kind, ClientIdentity.value, Client.contract_number)
            .join(Client, Client.id == ClientIdentity.client_id)
            .where(ClientIdentity.value.in_(chunk))
        )
        for kind, value, contract in result:
            owners[(kind, value)] = contract
    accounts = sorted({row.account_number for row in rows if row.account_number})
    for chunk in _chunks(accounts):
        accounts_found = await session.execute(
            select(Client.account_number, Client.contract_number).where(Client.account_number.in_(chunk))
        )
        for account, contract in accounts_found:
            if account is not None:
                owners.setdefault(("account", account), contract)
    return owners


def _resolve_identity_conflicts(
    rows: list[tuple[int, ClientRow]], owners: dict[tuple[str, str], str], report: ImportReport
) -> list[tuple[int, ClientRow]]:
    """Drop rows naming an identity another client keeps; repeat until no dropped row frees one."""
    active = list(rows)
    while True:
        wanted = {row.contract_number: set(row.identities()) for _, row in active}
        claimed: dict[tuple[str, str], tuple[str, int]] = {}
        kept: list[tuple[int, ClientRow]] = []
        dropped = False
        for line, row in active:
            problem = None
            for pair in row.identities():
                kind, value = pair
                label = IDENTITY_LABELS[kind]
                if pair in claimed and claimed[pair][0] != row.contract_number:
                    other, other_line = claimed[pair]
                    problem = (
                        f"{label} {value} уже указан в строке {other_line} (договор {other}) / "
                        f"{kind} {value} is already used in line {other_line} (contract {other})"
                    )
                    break
                owner = owners.get(pair)
                released = owner in wanted and pair not in wanted[owner]
                if owner is not None and owner != row.contract_number and not released:
                    problem = (
                        f"{label} {value} уже принадлежит клиенту с договором {owner} / "
                        f"{kind} {value} already belongs to the client with contract {owner}"
                    )
                    break
            if problem is not None:
                report.error(line, problem)
                dropped = True
                continue
            for pair in row.identities():
                claimed[pair] = (row.contract_number, line)
            kept.append((line, row))
        if not dropped:
            return kept
        active = kept


async def _write_clients(
    session: AsyncSession, rows: list[tuple[int, ClientRow]], progress: Progress | None
) -> _Counts:
    counts = _Counts()
    existing: dict[str, Client] = {}
    for chunk in _chunks([row.contract_number for _, row in rows]):
        for loaded in await session.scalars(select(Client).where(Client.contract_number.in_(chunk))):
            existing[loaded.contract_number] = loaded
    have: dict[str, set[tuple[str, str]]] = {
        contract: {(i.kind, i.value) for i in loaded.identities} for contract, loaded in existing.items()
    }

    # Free what moves first: identities no longer listed and account numbers that change hands.
    stale: list[int] = []
    freeing: list[int] = []
    for _, row in rows:
        current = existing.get(row.contract_number)
        if current is None:
            continue
        wanted = set(row.identities())
        stale.extend(i.id for i in current.identities if (i.kind, i.value) not in wanted)
        if current.account_number and current.account_number != row.account_number:
            freeing.append(current.id)
    for chunk in _chunks(stale):
        await session.execute(
            delete(ClientIdentity).where(ClientIdentity.id.in_(chunk)).execution_options(synchronize_session=False)
        )
    for chunk in _chunks(freeing):
        await session.execute(
            update(Client).where(Client.id.in_(chunk)).values(account_number=None)
            .execution_options(synchronize_session=False)
        )

    done = 0
    for batch in _chunks(rows):
        placed: list[tuple[Client, ClientRow]] = []
        for _, row in batch:
            found = existing.get(row.contract_number)
            if found is None:
                client = Client(**row.client_fields())
                session.add(client)
                counts.imported += 1
            else:
                client = found
                if _assign(client, row.client_fields()) or have[row.contract_number] != set(row.identities()):
                    counts.updated += 1
                else:
                    counts.unchanged += 1
            placed.append((client, row))
        await session.flush()
        new_identities = [
            {"client_id": client.id, "kind": kind, "value": value}
            for client, row in placed
            for kind, value in row.identities()
            if (kind, value) not in have.get(row.contract_number, set())
        ]
        if new_identities:
            await session.execute(insert(ClientIdentity), new_identities)
        done += len(batch)
        if progress is not None:
            progress("write", done, len(rows))
    return counts


async def _warn_unknown_managers(
    sessions: async_sessionmaker[AsyncSession], rows: list[tuple[int, ClientRow]], report: ImportReport
) -> None:
    logins = sorted({row.manager_login for _, row in rows if row.manager_login})
    known: set[str] = set()
    async with sessions() as session:
        for chunk in _chunks(logins):
            known.update(await session.scalars(select(Staff.login).where(Staff.login.in_(chunk))))
    for line, row in rows:
        if row.manager_login and row.manager_login not in known:
            report.warn(
                line,
                f"менеджер «{row.manager_login}» не найден среди сотрудников: обращения уйдут наименее "
                f"загруженному менеджеру / manager {row.manager_login!r} is not in the staff directory",
            )


# ------------------------------------------------------------------------------------------------- staff


async def import_staff(
    sessions: async_sessionmaker[AsyncSession],
    source: Path | bytes,
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert staff by login. A password in the file is hashed; an empty one keeps the stored hash."""
    report = ImportReport("staff")
    table = read_csv(source, STAFF_COLUMNS, STAFF_REQUIRED, report)
    if table is None:
        return report.finish()
    rows = validate_rows(table, StaffRow, report, progress)
    rows = _first_wins(rows, lambda r: r.login, ("логин", "login"), report)
    async with sessions() as session:
        stored = {s.login: s.active for s in await session.scalars(select(Staff))}
    rows = _check_deputies(rows, stored, report)
    if rows:
        await _write(sessions, rows, _write_staff, report, progress)
        await _warn_no_password(sessions, rows, report)
    elif progress is not None:
        progress("write", 0, 0)
    return report.finish()


def _check_deputies(
    rows: list[tuple[int, StaffRow]], stored: dict[str, bool], report: ImportReport
) -> list[tuple[int, StaffRow]]:
    active = list(rows)
    while True:
        known = set(stored) | {row.login for _, row in active}
        kept: list[tuple[int, StaffRow]] = []
        for line, row in active:
            deputy = row.deputy_login
            if deputy == row.login:
                report.error(line, "deputy_login: сотрудник не может быть своим заместителем / "
                                   "a person cannot be their own deputy")
            elif deputy is not None and deputy not in known:
                report.error(line, f"deputy_login: заместитель «{deputy}» не найден ни в файле, ни в базе / "
                                   f"deputy {deputy!r} is neither in the file nor in the database")
            else:
                kept.append((line, row))
        if len(kept) == len(active):
            break
        active = kept
    activity = {**stored, **{row.login: row.active for _, row in active}}
    for line, row in active:
        if row.role in ("manager", "subscriber_head") and row.department != SUBSCRIBER_DEPARTMENT:
            report.warn(line, f"{row.role} обычно в отделе «{SUBSCRIBER_DEPARTMENT}», указан «{row.department}»: "
                              f"новые обращения распределяются только внутри абонентского отдела / "
                              f"{row.role} outside the {SUBSCRIBER_DEPARTMENT!r} department gets no new tickets")
        if row.deputy_login and not activity.get(row.deputy_login, True):
            report.warn(line, f"заместитель «{row.deputy_login}» неактивен / deputy {row.deputy_login!r} is inactive")
    return active


async def _write_staff(
    session: AsyncSession, rows: list[tuple[int, StaffRow]], progress: Progress | None
) -> _Counts:
    counts = _Counts()
    existing: dict[str, Staff] = {}
    for chunk in _chunks([row.login for _, row in rows]):
        for loaded in await session.scalars(select(Staff).where(Staff.login.in_(chunk))):
            existing[loaded.login] = loaded
    done = 0
    for batch in _chunks(rows, 50):
        hashes = await asyncio.gather(*(_password_hash(row, existing.get(row.login)) for _, row in batch))
        for (_, row), password_hash in zip(batch, hashes, strict=True):
            fields = row.staff_fields()
            person = existing.get(row.login)
            if person is None:
                session.add(Staff(**fields, password_hash=password_hash))
                counts.imported += 1
                continue
            if password_hash is not None:
                fields["password_hash"] = password_hash
            if _assign(person, fields):
                counts.updated += 1
            else:
                counts.unchanged += 1
        await session.flush()
        done += len(batch)
        if progress is not None:
            progress("write", done, len(rows))
    return counts


async def _password_hash(row: StaffRow, person: Staff | None) -> str | None:
    """The hash to store: None keeps the stored one (no password given, or the same password)."""
    if row.password is None:
        return None
    stored = person.password_hash if person is not None else None
    if stored:
        same: bool = await asyncio.to_thread(verify_password, row.password, stored)
        if same:
            return None
    return await asyncio.to_thread(hash_password, row.password)


async def _warn_no_password(
    sessions: async_sessionmaker[AsyncSession], rows: list[tuple[int, StaffRow]], report: ImportReport
) -> None:
    without: set[str] = set()
    async with sessions() as session:
        for chunk in _chunks([row.login for _, row in rows]):
            without.update(
                await session.scalars(select(Staff.login).where(Staff.login.in_(chunk), Staff.password_hash.is_(None)))
            )
    for line, row in rows:
        if row.login in without and row.active:
            report.warn(line, f"пароль не задан: вход невозможен до `complaints staff passwd {row.login}` / "
                              "no password: cannot sign in until one is set")


async def set_password(sessions: async_sessionmaker[AsyncSession], login: str, password: str) -> bool:
    """Store a new password hash for `login`; False if there is no such staff member."""
    password_hash = await asyncio.to_thread(hash_password, password)
    async with sessions() as session, session.begin():
        person = await session.scalar(select(Staff).where(Staff.login == login))
        if person is None:
            return False
        person.password_hash = password_hash
    return True
