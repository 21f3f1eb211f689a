"""Settings from the environment (prefix COMPLAINTS_; NATS_URL and DATABASE_URL as they are)."""

from __future__ import annotations

from datetime import time
from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from channels.blobs import FileBlobStore
from channels.email.config import EmailLimits, MailboxConfig, SmtpConfig
from channels.ok.config import OkConfig
from channels.telegram.config import TelegramConfig
from channels.vk.config import VkConfig
from router.calendar import BusinessCalendar
from router.store import sqlite_url


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
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    session_secret: SecretStr = Field(default=SecretStr("change-me-in-production"))
    session_https_only: bool = Field(default=False, description="Secure session cookie (behind TLS)")
    api_tokens: dict[str, SecretStr] = Field(
        default_factory=dict, description='JSON {"client-name": "token"} for the REST API'
    )
    timezone: str = "Europe/Moscow"
    work_day_start: time = time(9, 0)
    work_day_end: time = time(18, 0)
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
    fax_gateway_senders: list[str] = Field(
        default_factory=list, description="Sender addresses of fax-to-email gateways (handed to the scan channel)"
    )

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
        return BusinessCalendar(timezone=self.timezone, day_start=self.work_day_start, day_end=self.work_day_end)

    def backoff_for(self, attempt: int) -> float:
        """Delay before the next delivery after `attempt` failed deliveries (1-based)."""
        steps = self.retry_backoff or [1.0]
        return steps[min(attempt, len(steps)) - 1]
