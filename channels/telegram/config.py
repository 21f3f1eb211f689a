"""Settings of the Telegram channel (embedded in workers.settings.Settings as `telegram`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class TelegramConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: SecretStr = Field(description="Bot token from @BotFather")
    mode: Literal["webhook", "polling"] = "webhook"
    api_base: str | None = Field(default=None, description="Bot API server (a fake one in tests); None = Telegram")
