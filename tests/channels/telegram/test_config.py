"""TelegramConfig: token and secret token shapes, webhook mode needs its secret, the bot id from the token."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from channels.telegram.config import TelegramConfig


def test_bot_id_from_the_token_and_secrets_hidden() -> None:
    config = TelegramConfig(token=SecretStr("123456:AAE-x_y"), webhook_secret=SecretStr("a" * 256))
    assert config.bot_id == 123456
    assert "AAE" not in repr(config) and "aaaa" not in repr(config)


@pytest.mark.parametrize("token", ["", "abc", "123456", ":abc", "12a:abc", "123:ab c", "123:абв"])
def test_bad_tokens(token: str) -> None:
    with pytest.raises(ValidationError):
        TelegramConfig(token=SecretStr(token), webhook_secret=SecretStr("s"))


@pytest.mark.parametrize("secret", ["", "a" * 257, "with space", "semi;colon", "секрет"])
def test_bad_secret_tokens(secret: str) -> None:
    with pytest.raises(ValidationError):
        TelegramConfig(token=SecretStr("1:a"), webhook_secret=SecretStr(secret))


def test_webhook_mode_needs_a_secret_polling_does_not() -> None:
    with pytest.raises(ValidationError, match="webhook_secret"):
        TelegramConfig(token=SecretStr("1:a"))
    assert TelegramConfig(token=SecretStr("1:a"), mode="polling").webhook_secret is None


def test_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.app.settings import Settings

    monkeypatch.setenv("COMPLAINTS_TELEGRAM", '{"token": "42:xyz", "mode": "polling", "api_base": "http://127.0.0.1:1"}')
    settings = Settings()
    assert settings.telegram is not None and settings.telegram.bot_id == 42 and settings.telegram.mode == "polling"
