"""Settings models of the email channel (embedded in workers.app.settings.Settings)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class MailboxConfig(BaseModel):
    """One IMAP mailbox to watch (each runs as its own task)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, description="Short name, part of the native id")
    host: str
    port: int = 993
    ssl: bool = True
    username: str
    password: SecretStr
    folder: str = "INBOX"
    processed_folder: str | None = Field(default=None, description="MOVE here after the PubAck; unset = \\Seen")
    idle: bool = Field(default=True, description="Use IDLE when the server offers it; else poll")
    poll_interval: float = Field(default=30.0, gt=0, description="Seconds between polls without IDLE")
    idle_renew: float = Field(default=25 * 60.0, gt=0, le=29 * 60.0, description="Re-issue IDLE (RFC 9051: < 29 min)")
    fetch_batch: int = Field(default=200, ge=1, description="UIDs per UID FETCH")


class SmtpConfig(BaseModel):
    """The SMTP relay our replies go through."""

    model_config = ConfigDict(extra="forbid")

    host: str
    port: int = 587
    username: str | None = None
    password: SecretStr | None = None
    use_tls: bool = False
    start_tls: bool | None = Field(default=None, description="None = when the server offers it")
    timeout: float = 30.0
    from_address: str = Field(description="The claims mailbox address replies come from")
    from_name: str = "Служба по работе с претензиями"
    message_id_domain: str | None = Field(default=None, description="Right side of our Message-IDs")


class EmailLimits(BaseModel):
    """Size caps applied before and while parsing (a mail over a cap is kept and shunted with the reason)."""

    model_config = ConfigDict(extra="forbid")

    max_message_bytes: int = 50 * 1024 * 1024
    max_header_bytes: int = 256 * 1024
    max_part_bytes: int = 25 * 1024 * 1024
    max_parts: int = 200
