"""Step: a telegram submission (the platform's own JSON) into the draft (filled in by the telegram channel)."""

from __future__ import annotations

from normalizer.draft import Draft


def telegram_message(draft: Draft) -> None:
    return None
