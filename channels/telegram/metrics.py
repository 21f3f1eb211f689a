"""Counters of the Telegram channel (forged webhook calls, ignored and quarantined updates), per process."""

from __future__ import annotations

from collections import Counter

# Keys: forged, published, duplicate, greeting, greeting_failed, quarantined, ignored:<update type>.
COUNTERS: Counter[str] = Counter()


def count(key: str, n: int = 1) -> None:
    COUNTERS[key] += n
