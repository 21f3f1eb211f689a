"""Settings from the environment (prefix COMPLAINTS_; NATS_URL and DATABASE_URL as they are)."""

from __future__ import annotations

from datetime import date, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from channels.blobs import FileBlobStore
from channels.email.config import EmailLimits, MailboxConfig, SmtpConfig
from channels.ok.config import OkConfig
from channels.scan.config import ScanConfig
from channels.telegram.config import TelegramConfig
from channels.vk.config import VkConfig
from router.calendar import DISPUTE_REVIEW_WORKING_DAYS, BusinessCalendar, WorkingHours
from router.sla.policy import Clock, SlaPolicy
from router.store import sqlite_url
from workers.letters.config import LetterheadConfig

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

ApiClientName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ApiScope = Literal["feedback", "tickets:read", "tickets:act"]
API_SCOPES: tuple[ApiScope, ...] = get_args(ApiScope)
PLACEHOLDER_SESSION_SECRET = "change-me-in-production"  # `complaints up`/`web` refuse it unless --demo


class ApiToken(BaseModel):
    """A REST API client's token and what it may call; a plain string is a token with the scope `feedback`."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)  # the input holds the token

    token: SecretStr
    scopes: frozenset[ApiScope] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _plain_token(cls, data: Any) -> Any:
        if isinstance(data, str | SecretStr):
            return {"token": data, "scopes": ["feedback"]}
        return data

    @field_validator("scopes", mode="before")
    @classmethod
    def _known_scopes(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(f"scopes must be a JSON list of {', '.join(API_SCOPES)}")
        if isinstance(value, list | tuple | set | frozenset):
            unknown = sorted({repr(scope) for scope in value if scope not in API_SCOPES})
            if unknown:
                raise ValueError(f"unknown API scope {', '.join(unknown)}: the scopes are {', '.join(API_SCOPES)}")
        return value


class _Unreadable:
    """Stands for an API token entry of the wrong type in error messages, which would otherwise quote it."""

    def __init__(self, value: object) -> None:
        self.kind = type(value).__name__

    def __repr__(self) -> str:
        return f"<{self.kind}>"


def _masked_secret(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value
    return SecretStr(value) if isinstance(value, str) else _Unreadable(value)


def _masked_token(entry: Any) -> Any:
    """An api_tokens entry with its token already a SecretStr, so no validation error can quote it."""
    if isinstance(entry, ApiToken):
        return entry
    if isinstance(entry, dict):
        return {k: _masked_secret(v) if k == "token" else v for k, v in entry.items()}
    return _masked_secret(entry)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPLAINTS_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="SQLite file, NATS store, blobs")
    nats_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("NATS_URL", "COMPLAINTS_NATS_URL"),
        description="External NATS server or cluster (comma-separated); unset = embedded nats-server",
    )
    database_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "COMPLAINTS_DATABASE_URL"),
        description="postgresql+asyncpg://…; unset = SQLite under data_dir",
    )
    log_level: LogLevel = Field(
        default="INFO",
        description="Least severe log records written (DEBUG, INFO, WARNING, ERROR); INFO writes a line per"
        " accepted submission and per HTTP request",
    )
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    session_secret: SecretStr = Field(
        default=SecretStr(PLACEHOLDER_SESSION_SECRET),
        description="Signs the staff session cookie: a long random value (the placeholder is refused"
        " unless --demo, which keeps a generated one in data_dir)",
    )
    session_https_only: bool = Field(default=False, description="Secure session cookie (behind TLS)")
    web_trusted_proxies: list[str] = Field(
        default_factory=list,
        description="JSON list of reverse-proxy addresses or networks whose X-Forwarded-For/-Proto the web"
        " server believes; empty = nobody's (the client address is the TCP peer)",
    )
    api_tokens: dict[ApiClientName, ApiToken] = Field(
        default_factory=dict,
        description='JSON {"client-name": {"token": "…", "scopes": ["feedback", "tickets:read", "tickets:act"]}}'
        ' for the REST API; a plain "token" string has the scope feedback only',
    )
    timezone: str = "Europe/Moscow"
    work_day_start: time = time(9, 0)
    work_day_end: time = time(18, 0)
    lunch_start: time | None = Field(default=None, description="Lunch break start (not working time); unset = none")
    lunch_end: time | None = Field(default=None, description="Lunch break end; set together with lunch_start")
    shortened_days_extra: list[date] = Field(
        default_factory=list, description="JSON list of working days to shorten by one hour beyond the derived ones"
    )
    shortened_days_removed: list[date] = Field(
        default_factory=list, description="JSON list of derived pre-holiday days to keep at full length"
    )
    department_hours: dict[str, WorkingHours] = Field(
        default_factory=dict,
        description='JSON {"technical": {"start": "08:00", "end": "20:00", "lunch_start": "13:00", "lunch_end":'
        ' "14:00"}}: a department\'s own working hours (lunch optional); others work the company hours',
    )
    dispute_review_working_days: int = Field(
        default=DISPUTE_REVIEW_WORKING_DAYS, ge=1, description="Working days to re-review a disputed ticket"
    )
    # The sla worker: warnings before each clock's due moment, and which clocks pause while waiting for
    # the client (router.sla.policy).
    sla_first_response_warning_hours: float = Field(
        default=2.0, gt=0, description="Working hours before the first response is due that its warning fires")
    sla_resolution_warning_days: int = Field(
        default=1, ge=0, description="Working days before the resolution is due that its warning fires")
    sla_legal_warning_days: int = Field(
        default=10, ge=0, description="Calendar days before the legal limit that the director is warned")
    sla_dispute_warning_days: int = Field(
        default=1, ge=0, description="Working days before the re-review of a dispute is due that its warning fires")
    sla_pause_while_waiting: list[Clock] = Field(
        default=[Clock.RESOLUTION],
        description="Clocks that stop while the ticket waits for the client's reply (ask_client)")
    sla_tick_seconds: float = Field(default=30.0, gt=0, description="How often the sla worker looks for due timers")
    max_deliver: int = Field(default=5, ge=1)
    retry_backoff: list[float] = Field(default=[1.0, 5.0, 30.0, 120.0], description="seconds between attempts")
    ack_wait: float = 60.0
    duplicate_window: float = Field(default=24 * 3600.0, description="JetStream dedup window, seconds")
    stream_replicas: int = Field(default=1, ge=1, le=5, description="3 on a NATS cluster")
    route_batch: int = 200
    relay_interval: float = Field(default=0.05, description="outbox poll interval when idle, seconds")
    contract_pattern: str | None = None
    account_pattern: str | None = None
    blob_dir: Path | None = Field(default=None, description="Blob store (claim-check); unset = data_dir/blobs")
    dispute_window_days: int = Field(
        default=30, ge=0, description="A reply to a closed ticket within this many days reopens it (dispute)"
    )
    # Email channel
    email_mailboxes: list[MailboxConfig] = Field(
        default_factory=list, description="JSON list of IMAP mailboxes to watch; empty = no email intake"
    )
    smtp: SmtpConfig | None = Field(default=None, description="JSON SMTP relay for replies; unset = no email replies")
    email_limits: EmailLimits = Field(default_factory=EmailLimits)
    email_reply_cap_per_day: int = Field(default=40, ge=0, description="Automatic replies per address per day")
    chat_receipt_quiet_minutes: float = Field(
        default=10.0, ge=0, description="A chat follow-up is confirmed to the client only if nothing was written to "
                                        "them on the ticket for this long (0: every follow-up)"
    )
    fax_gateway_senders: list[str] = Field(
        default_factory=list, description="Sender addresses of fax-to-email gateways (handed to the scan channel)"
    )
    # Scanned post and fax
    scan: ScanConfig = Field(default_factory=ScanConfig, description="JSON settings of the scan channel (OCR)")
    letterhead: LetterheadConfig = Field(
        default_factory=LetterheadConfig, description="JSON letterhead and requisites of answers by letter")

    @property
    def scan_low_confidence(self) -> float:
        """Mean OCR word confidence under which a scan always goes to «Проверка скана» (the normalizer's)."""
        return self.scan.low_confidence

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("api_tokens", mode="before")
    @classmethod
    def _mask_api_tokens(cls, value: Any) -> Any:
        """Each token a SecretStr before validation, so that no settings error can quote one."""
        if isinstance(value, dict):
            return {name: _masked_token(entry) for name, entry in value.items()}
        return value

    @model_validator(mode="after")
    def _check_working_hours(self) -> Settings:
        """The company's working hours are valid (the departments' are checked by WorkingHours itself)."""
        WorkingHours(self.work_day_start, self.work_day_end, self.lunch_start, self.lunch_end)
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return sqlite_url(self.data_dir.resolve())

    # Files still on a platform (VK photos and documents), fetched by the attachments worker
    attachment_hosts: list[str] = Field(
        default=["userapi.com", "vk.com", "vk.ru", "vkuser.net", "vk-cdn.net", "vkuseraudio.net"],
        description="Hosts (and their subdomains) files may be fetched from; anything else is refused",
    )
    attachment_max_bytes: int = Field(default=25 * 1024 * 1024, ge=1, description="Bigger files are not fetched")
    # Social channels (unset = channel off)
    vk: VkConfig | None = Field(default=None, description="JSON settings of the VK community channel")
    ok: OkConfig | None = Field(default=None, description="JSON settings of the OK.ru group channel")
    telegram: TelegramConfig | None = Field(default=None, description="JSON settings of the Telegram bot channel")

    @property
    def effective_blob_dir(self) -> Path:
        return (self.blob_dir or self.data_dir / "blobs").resolve()

    @cached_property
    def blobs(self) -> FileBlobStore:
        return FileBlobStore(self.effective_blob_dir)

    @cached_property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            timezone=self.timezone,
            day_start=self.work_day_start,
            day_end=self.work_day_end,
            lunch_start=self.lunch_start,
            lunch_end=self.lunch_end,
            shortened_extra=frozenset(self.shortened_days_extra),
            shortened_removed=frozenset(self.shortened_days_removed),
            department_hours=self.department_hours,
            dispute_review_days=self.dispute_review_working_days,
        )

    @cached_property
    def sla_policy(self) -> SlaPolicy:
        return SlaPolicy(
            first_response_warning=timedelta(hours=self.sla_first_response_warning_hours),
            resolution_warning_days=self.sla_resolution_warning_days,
            legal_warning=timedelta(days=self.sla_legal_warning_days),
            dispute_warning_days=self.sla_dispute_warning_days,
            pausing=frozenset(self.sla_pause_while_waiting),
        )

    def backoff_for(self, attempt: int) -> float:
        """Delay before the next delivery after `attempt` failed deliveries (1-based)."""
        steps = self.retry_backoff or [1.0]
        return steps[min(attempt, len(steps)) - 1]
