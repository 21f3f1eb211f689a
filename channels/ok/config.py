"""Settings of the OK.ru channel (embedded in workers.settings.Settings as `ok`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class OkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: SecretStr = Field(description="Bot API access token")
    mode: Literal["webhook", "longpoll"] = "webhook"
    api_base: str = Field(default="https://api.ok.ru", description="Point at a fake server in tests")
