"""Settings of the Telegram channel (embedded in workers.app.settings.Settings as `telegram`)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

# "<bot id>:<secret>" as @BotFather issues it; aiogram refuses anything else.
TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,128}$")
# setWebhook secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class TelegramConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: SecretStr = Field(description="Bot token from @BotFather")
    mode: Literal["webhook", "polling"] = "webhook"
    api_base: str | None = Field(default=None, description="Bot API server (a fake one in tests); None = Telegram")
    # Webhook mode
    webhook_secret: SecretStr | None = Field(
        default=None, description="setWebhook secret_token, sent back as X-Telegram-Bot-Api-Secret-Token"
    )
    webhook_url: str | None = Field(default=None, description="Public HTTPS URL of /channels/telegram/webhook")
    # Polling mode
    poll_timeout: int = Field(default=25, ge=0, le=50, description="getUpdates long-poll timeout, seconds")
    retry_delays: list[float] = Field(default=[1.0, 2.0, 5.0, 10.0, 30.0],
                                      description="Back-off after a failed getUpdates or publish (the last repeats)")
    # Replies
    timeout: float = Field(default=30.0, gt=0, description="Seconds per Bot API request")
    max_inline_retry_after: float = Field(
        default=5.0, ge=0, description="A 429 asking to wait at most this long is waited out inside the send"
    )

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("the bot token must look like '<bot id>:<secret>'")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not SECRET_RE.match(value.get_secret_value()):
            raise ValueError("webhook_secret: 1-256 characters of A-Z, a-z, 0-9, '_' and '-'")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> TelegramConfig:
        if self.mode == "webhook" and self.webhook_secret is None:
            raise ValueError("webhook mode needs webhook_secret (requests without it could be forged)")
        return self

    @property
    def bot_id(self) -> int:
        """The bot's own user id: the token's prefix."""
        return int(self.token.get_secret_value().split(":", 1)[0])
