"""Email normalizer caps and fax gateways as the corpus expects them (a NormalizerConfig, passed in)."""

from __future__ import annotations

import pytest

from channels.email.config import EmailLimits
from normalizer.config import NormalizerConfig
from workers.channels.registry import normalizer_steps

CORPUS_LIMITS = EmailLimits(max_message_bytes=1_000_000, max_header_bytes=16_384, max_part_bytes=100_000,
                            max_parts=25)
FAX_GATEWAYS = ["fax@fax.example.ru"]
CORPUS_CONFIG = NormalizerConfig(email_limits=CORPUS_LIMITS, fax_senders=frozenset(FAX_GATEWAYS))
# The channel steps as the normalize worker gets them: from the channel registry.
CHANNEL_STEPS = normalizer_steps()


@pytest.fixture
def corpus_config() -> NormalizerConfig:
    return CORPUS_CONFIG
