"""Settings of the OK.ru channel (embedded in workers.app.settings.Settings as `ok`).

Where a webhook request comes from (`allowed_networks`, `trusted_proxies`):
OK signs nothing, so a request is believed only when it reaches the secret URL path AND comes from
one of OK's published source networks (217.20.145.192/28, 217.20.151.160/28, 217.20.153.48/28 by
default). The source is the TCP peer address. Behind a reverse proxy the peer is the proxy: list
the proxy's own addresses in `trusted_proxies`; only when the peer is one of them is the
`X-Forwarded-For` header read, from right to left, skipping every trusted proxy, and the first
address that is not a trusted proxy is taken as the source. A header sent by anyone else is
ignored (a client can put anything there). Empty `trusted_proxies` = the header is never read.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

OK_NETWORKS = ("217.20.145.192/28", "217.20.151.160/28", "217.20.153.48/28")
EVENT_TYPES = ("MESSAGE_CREATED",)

Network = IPv4Network | IPv6Network


def _ok_networks() -> list[Network]:
    return [IPv4Network(n) for n in OK_NETWORKS]


class OkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: SecretStr = Field(description="Group token (settings → Messages → 'Работа с API'), sent as access_token")
    mode: Literal["webhook", "longpoll"] = "webhook"
    api_base: str = Field(default="https://api.ok.ru", description="Point at a fake server in tests")
    webhook_secret: SecretStr | None = Field(
        default=None, min_length=16, description="The secret last path segment of POST /channels/ok/webhook/<secret>"
    )
    allowed_networks: list[Network] = Field(
        default_factory=_ok_networks,
        description="Source networks a webhook request must come from (OK's published ranges)",
    )
    trusted_proxies: list[Network] = Field(
        default_factory=list, description="Reverse proxies whose X-Forwarded-For is believed (see module docstring)"
    )
    hand_off_timeout: float = Field(
        default=4.0, gt=0, lt=5, description="Seconds to wait for the PubAck; OK wants an answer within 5 s"
    )
    send_timeout: float = Field(default=10.0, gt=0, description="Seconds for one reply POST (then: uncertain)")
    connect_timeout: float = Field(default=5.0, gt=0, description="Seconds to connect (nothing sent yet: retried)")
    poll_count: int = Field(default=100, ge=1, le=1000, description="Long polling: updates per request")
    poll_wait: float = Field(default=25.0, ge=0, description="Long polling: seconds the server may hold a request")
    poll_types: list[str] = Field(default_factory=lambda: list(EVENT_TYPES))

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> OkConfig:
        if self.mode == "webhook" and self.webhook_secret is None:
            raise ValueError("ok.webhook_secret is required in webhook mode (at least 16 characters)")
        return self

    @property
    def api_root(self) -> str:
        return self.api_base.rstrip("/")
