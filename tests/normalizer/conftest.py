"""Email normalizer caps and fax gateways as the corpus expects them (restored after each test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from channels.email.config import EmailLimits
from normalizer.email import config

CORPUS_LIMITS = EmailLimits(max_message_bytes=1_000_000, max_header_bytes=16_384, max_part_bytes=100_000,
                            max_parts=25)
FAX_GATEWAYS = ["fax@fax.example.ru"]


@pytest.fixture
def corpus_config() -> Iterator[None]:
    saved = config.LIMITS, config.FAX_SENDERS
    config.configure(CORPUS_LIMITS, FAX_GATEWAYS)
    yield
    config.LIMITS, config.FAX_SENDERS = saved
