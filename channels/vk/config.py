"""Settings of the VK channel (embedded in workers.app.settings.Settings as `vk`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

API_VERSION = "5.199"


class VkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_id: int = Field(gt=0, description="The community's id (positive)")
    token: SecretStr = Field(description="Community access token (messages, wall, board)")
    mode: Literal["callback", "longpoll"] = "callback"
    api_base: str = Field(default="https://api.vk.ru/method", description="Point at a fake server in tests")
    api_version: str = API_VERSION
    # Callback API (mode "callback")
    secret: SecretStr | None = Field(default=None, description="The Callback API secret key (community settings)")
    confirmation: str | None = Field(default=None, description="The string VK expects for `confirmation`")
    # Replies
    rps: float = Field(default=20.0, gt=0, le=20.0, description="Requests per second (group token: 20)")
    timeout: float = Field(default=30.0, gt=0, description="Seconds per API request")
    reply_by_comment: bool = Field(default=True,
                                   description="Wall/board: comment when a private message is not allowed")
    # Bots Long Poll (mode "longpoll")
    longpoll_wait: int = Field(default=25, ge=1, le=90, description="Seconds the long-poll server holds a request")
    reconnect_delays: list[float] = Field(default=[1.0, 2.0, 5.0, 10.0, 30.0],
                                          description="Back-off between reconnects (the last one repeats)")

    @model_validator(mode="after")
    def _callback_needs_a_secret(self) -> VkConfig:
        if self.mode == "callback" and (self.secret is None or not self.secret.get_secret_value()):
            raise ValueError("the Callback API mode needs `secret` (set the same key in the community settings)")
        return self
