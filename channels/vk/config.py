"""Settings of the VK channel (embedded in workers.settings.Settings as `vk`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class VkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_id: int
    token: SecretStr = Field(description="Community access token (messages)")
    mode: Literal["callback", "longpoll"] = "callback"
    api_base: str = Field(default="https://api.vk.com/method", description="Point at a fake server in tests")
